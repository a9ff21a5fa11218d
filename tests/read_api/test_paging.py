"""Cursor paging: opaque, bound to its list, and page N costs what page 1 costs."""

import dataclasses

import pytest

from read_api import config, items, paging, queries, schema
from read_api.http import ApiError

from . import data

pytestmark = pytest.mark.dynamodb


def signed(after, skip=0, count=1, partition=schema.BANDS_PK, keys=None):
    """A cursor with chosen contents that *we* signed: what the checks behind the signature must still refuse."""
    import json

    payload = json.dumps({"a": after, "k": skip, "c": count}, separators=(",", ":")).encode()
    key = (keys or config.settings.cursor_keys)[0]
    return f"{paging._b64(payload)}.{paging._b64(paging._mac(key, partition, payload))}"


def client_made(after, skip=0, count=1, *, mac: bytes = b"\0" * paging.MAC_BYTES):
    """A cursor as a client could build it: any contents, and a MAC made without our key."""
    import json

    payload = json.dumps({"a": after, "k": skip, "c": count}, separators=(",", ":")).encode()
    return f"{paging._b64(payload)}.{paging._b64(mac)}"


def payload_of(cursor: str) -> dict:
    import json

    return json.loads(paging._unb64(cursor.partition(".")[0]))


def test_cursor_round_trip_and_tampering():
    cursor = paging.Cursor("BAND#x", 0, 12)
    text = paging.encode(cursor, schema.BANDS_PK)
    assert paging.decode(text, schema.BANDS_PK, "BAND#") == cursor
    for wrong in (lambda: paging.decode(text, schema.GENRES_PK, "BAND#"),
                  lambda: paging.decode(text, schema.BANDS_PK, "GENRE#"),
                  lambda: paging.decode("%%%", schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode("e30", schema.BANDS_PK, "BAND#"),  # {} with no signature
                  lambda: paging.decode("e30.", schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode("x" * 5000, schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode(text + "A", schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode(text.replace(".", ".=", 1), schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode(signed("BAND#\ud800"), schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode(signed("BAND#" + "é" * 600), schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode(signed("BAND#x", skip=-1), schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode(signed("BAND#x", count="7"), schema.BANDS_PK, "BAND#")):
        with pytest.raises(ApiError) as error:
            wrong()
        assert error.value.status == 400 and error.value.details["parameter"] == "cursor"


def test_an_edited_cursor_is_refused():
    """Issue 10.11: a cursor whose count was edited to 10**300 was answered 200 with that count."""
    text = paging.encode(paging.Cursor("BAND#x", 0, 12), schema.BANDS_PK)
    payload, _, mac = text.partition(".")
    edited = paging._b64(paging._unb64(payload).replace(b'"c":12', b'"c":' + b"1" + b"0" * 300))
    for forged in (f"{edited}.{mac}", edited, client_made("BAND#x", count=10**300),
                   client_made("BAND#x", mac=paging._mac(b"guessed-key", schema.BANDS_PK, b"{}"))):
        with pytest.raises(ApiError) as error:
            paging.decode(forged, schema.BANDS_PK, "BAND#")
        assert error.value.status == 400


def test_rotation_keeps_live_cursors_for_as_long_as_the_previous_key_is_listed():
    old, new = b"o" * 32, b"n" * 32
    cursor = paging.Cursor("BAND#x", 0, 12)
    live = paging.encode(cursor, schema.BANDS_PK, keys=(old,))
    # Rotation: the new key signs, the old one still verifies for one TTL...
    assert paging.decode(live, schema.BANDS_PK, "BAND#", keys=(new, old)) == cursor
    fresh = paging.encode(cursor, schema.BANDS_PK, keys=(new, old))
    assert fresh != live and paging.decode(fresh, schema.BANDS_PK, "BAND#", keys=(new,)) == cursor
    # ...and once it is dropped, cursors it signed are refused.
    with pytest.raises(ApiError):
        paging.decode(live, schema.BANDS_PK, "BAND#", keys=(new,))


def test_handlers_sign_with_the_configured_keys(seeded, api, monkeypatch, dynamo_calls):
    old, new = b"o" * 32, b"n" * 32
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, cursor_keys=(old,)))
    first = api("/api/bands", query={"limit": "2"}).json()
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, cursor_keys=(new, old)))
    second = api("/api/bands", query={"limit": "2", "cursor": first["nextCursor"]}).json()
    assert [b["key"] for b in second["bands"]] == sorted(data.BANDS)[2:4]
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, cursor_keys=(new,)))
    assert api("/api/bands", query={"limit": "2", "cursor": second["nextCursor"]}).status == 200
    del dynamo_calls[:]
    refused = api("/api/bands", query={"limit": "2", "cursor": first["nextCursor"]})
    assert refused.status == 400 and refused.json()["error"]["details"]["parameter"] == "cursor"
    assert dynamo_calls == []  # refused before any read


def test_an_edited_count_gets_400_not_the_count(seeded, api, dynamo_calls):
    first = api("/api/bands", query={"limit": "2"}).json()
    cursor = first["nextCursor"]
    assert payload_of(cursor)["c"] == len(data.BANDS)
    payload, _, mac = cursor.partition(".")
    raw = paging._unb64(payload).replace(f'"c":{len(data.BANDS)}'.encode(), b'"c":1' + b"0" * 300)
    del dynamo_calls[:]
    for forged in (f"{paging._b64(raw)}.{mac}", paging._b64(raw), client_made(payload_of(cursor)["a"], count=10**300)):
        response = api("/api/bands", query={"limit": "2", "cursor": forged})
        assert response.status == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR"
        assert response.header("Cache-Control") == "public, max-age=60"
    assert dynamo_calls == []


def test_offset_is_capped_and_points_at_the_cursor(seeded, api, dynamo_calls):
    assert api("/api/bands", query={"offset": str(paging.MAX_OFFSET)}).status == 200
    del dynamo_calls[:]
    for path in ("/api/bands", "/api/festivals", "/api/genres", "/api/roles/vocals/members"):
        response = api(path, query={"offset": str(paging.MAX_OFFSET + 1)})
        assert response.status == 400
        error = response.json()["error"]
        assert error["details"] == {"parameter": "offset", "minimum": 0, "maximum": paging.MAX_OFFSET, "use": "cursor"}
        assert "nextCursor" in error["message"]
    assert dynamo_calls == []


@pytest.fixture(scope="module")
def many_bands(dynamodb_table_session):
    from tests.fixtures.dynamodb import bind, empty_table

    bind(dynamodb_table_session)
    empty_table(dynamodb_table_session)
    built = [items.summary_item(schema.BANDS_PK, 400)]
    for n in range(400):
        detail = {"band": {"key": f"b-{n:04d}", "name": f"B {n}", "genreKeys": [], "members": [], "reviewed": n % 2 == 0,
                           "country": "Norway", "logo": None}, "genres": [], "roles": []}
        built += items.band_items(detail, [])
    data.write(built)
    yield
    empty_table(dynamodb_table_session)


def _page_cost(api, path, query):
    queries.reset_stats()
    body = api(path, query=query).json()
    return body, queries.stats.capacity


def test_page_17_by_cursor_costs_what_page_1_costs(many_bands, api):
    body, first_cost = _page_cost(api, "/api/bands", {"limit": "20"})
    costs = [first_cost]
    for _ in range(16):
        body, cost = _page_cost(api, "/api/bands", {"limit": "20", "cursor": body["nextCursor"]})
        costs.append(cost)
    assert body["bands"][0]["key"] == "b-0320" and body["count"] == 400
    assert costs[16] <= costs[0]  # page 1 also reads the summary item
    _, by_offset = _page_cost(api, "/api/bands", {"limit": "20", "offset": "320"})
    assert by_offset > 5 * costs[16]  # what the cursor saves


def test_gsi3_cursor_pages_equally(many_bands, api):
    body, first = _page_cost(api, "/api/bands/reviewed", {"limit": "20"})
    for _ in range(5):
        body, cost = _page_cost(api, "/api/bands/reviewed", {"limit": "20", "cursor": body["nextCursor"]})
    assert cost <= first and body["bands"][0]["key"] == "b-0200"


def test_signed_positions_never_reach_dynamodb_as_errors(many_bands, api):
    """Behind the signature, a cursor is still checked: any position we could have signed is a valid start."""
    for after in ("BAND#zzzz", "BAND#b-0100", "BAND#a#1"):  # well-formed: just a position, even if no such row
        response = api("/api/bands", query={"cursor": signed(after)})
        assert response.status == 200
    assert api("/api/bands/reviewed", query={"cursor": signed("BAND#b-0100", partition="BANDS#REVIEWED")}).status == 200
    assert api("/api/bands", query={"cursor": signed("BAND#\u00e9")}).status == 400
    assert api("/api/bands", query={"cursor": client_made("BAND#b-0100")}).status == 400


def test_upcoming_cursor_names_a_gsi1_row_and_its_position():
    """Issue 12.5: /upcoming's cursor carries the last row's GSI1SK and the rows served up to it."""
    cursor = paging.Cursor("2027-07-01#wacken#2027", 0, 3000, 100)
    text = paging.encode(cursor, schema.UPCOMING_GSI1PK)
    assert paging.decode(text, schema.UPCOMING_GSI1PK, "", key_re=paging.UPCOMING_KEY_RE) == cursor
    for bad in (paging.Cursor("2027-07-01#wacken#2027", 0, 3000, -1), paging.Cursor("BAND#x", 0, 1, 0)):
        with pytest.raises(ApiError) as error:
            paging.decode(paging.encode(bad, schema.UPCOMING_GSI1PK), schema.UPCOMING_GSI1PK, "",
                          key_re=paging.UPCOMING_KEY_RE)
        assert error.value.status == 400 and error.value.details["parameter"] == "cursor"
    assert queries.upcoming_start_key("2027-07-01#wacken#2027") == {
        "GSI1PK": {"S": "UPCOMING"}, "GSI1SK": {"S": "2027-07-01#wacken#2027"},
        "PK": {"S": "FESTIVAL#wacken"}, "SK": {"S": "UPCOMING#2027"}}
