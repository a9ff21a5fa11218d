"""Cursor paging: opaque, bound to its list, and page N costs what page 1 costs."""

import pytest

from read_api import items, paging, queries, schema
from read_api.http import ApiError

from . import data

pytestmark = pytest.mark.dynamodb


def forged(after, skip=0, count=1, partition=schema.BANDS_PK):
    """A cursor built by hand, as a client could: right scope, chosen contents."""
    import base64
    import json

    raw = json.dumps({"s": paging._scope(partition), "a": after, "k": skip, "c": count}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_cursor_round_trip_and_tampering():
    cursor = paging.Cursor("BAND#x", 0, 12)
    text = paging.encode(cursor, schema.BANDS_PK)
    assert paging.decode(text, schema.BANDS_PK, "BAND#") == cursor
    for wrong in (lambda: paging.decode(text, schema.GENRES_PK, "BAND#"),
                  lambda: paging.decode(text, schema.BANDS_PK, "GENRE#"),
                  lambda: paging.decode("%%%", schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode("e30", schema.BANDS_PK, "BAND#"),  # {}
                  lambda: paging.decode("x" * 5000, schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode(forged("BAND#\ud800"), schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode(forged("BAND#" + "é" * 600), schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode(forged("BAND#x", skip=-1), schema.BANDS_PK, "BAND#"),
                  lambda: paging.decode(forged("BAND#x", count="7"), schema.BANDS_PK, "BAND#")):
        with pytest.raises(ApiError) as error:
            wrong()
        assert error.value.status == 400


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


def test_forged_cursors_never_reach_dynamodb_as_errors(many_bands, api):
    for after in ("BAND#zzzz", "BAND#b-0100", "BAND#a#1"):  # well-formed: just a position, even if no such row
        response = api("/api/bands", query={"cursor": forged(after)})
        assert response.status == 200
    assert api("/api/bands/reviewed", query={"cursor": forged("BAND#b-0100", partition="BANDS#REVIEWED")}).status == 200
    assert api("/api/bands", query={"cursor": forged("BAND#\u00e9")}).status == 400
