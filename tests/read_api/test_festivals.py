"""Festivals: list, upcoming (relative to today, UTC), detail, editions, one edition, and the 301 of a renamed key."""

import datetime as dt
import json

import pytest

from read_api import items, queries

from . import data

pytestmark = pytest.mark.dynamodb


def test_list_has_the_specification_fields(seeded, api):
    body = api("/api/festivals").json()
    assert body["count"] == len(data.FESTIVALS)
    keys = [row["festivalKey"] for row in body["festivals"]]
    assert keys == sorted(data.FESTIVALS)
    wacken = next(row for row in body["festivals"] if row["festivalKey"] == "wacken")
    future = data.FESTIVALS["wacken"]["editions"][1]
    assert wacken == {
        "festivalKey": "wacken", "festivalName": "Wacken Open Air", "location": "Wacken, Germany",
        "coordinates": {"lat": 54.0214, "lng": 9.3769}, "website": "https://wacken.example.com", "poster": None,
        "latestEdition": {"year": future["year"], "dates": future["dates"], "bandCount": 2,
                          "ticketPrice": 349.5, "currency": "EUR"},
        "editions": [2025, future["year"]], "totalEditions": 2,
    }


def test_list_pages_by_offset_and_cursor(seeded, api):
    first = api("/api/festivals", query={"limit": "4"}).json()
    assert [r["festivalKey"] for r in first["festivals"]] == sorted(data.FESTIVALS)[:4]
    assert first["count"] == 6 and "nextCursor" in first
    second = api("/api/festivals", query={"limit": "4", "cursor": first["nextCursor"]}).json()
    assert [r["festivalKey"] for r in second["festivals"]] == sorted(data.FESTIVALS)[4:]
    assert second["count"] == 6 and "nextCursor" not in second
    by_offset = api("/api/festivals", query={"limit": "4", "offset": "4"}).json()
    assert by_offset["festivals"] == second["festivals"]


def test_upcoming_is_every_edition_not_ended_today_by_start_date(seeded, api):
    body = api("/api/festivals/upcoming").json()
    assert [r["festivalKey"] for r in body["festivals"]] == data.UPCOMING_ORDER
    assert body["count"] == len(data.UPCOMING_ORDER)
    hellfest = body["festivals"][1]
    assert hellfest["latestEdition"]["dates"]["end"] == (data.TODAY + dt.timedelta(days=2)).isoformat()


def test_upcoming_moves_with_the_date(seeded, api, monkeypatch):
    monkeypatch.setattr(queries, "today", lambda: data.TODAY + dt.timedelta(days=3))
    body = api("/api/festivals/upcoming").json()
    assert [r["festivalKey"] for r in body["festivals"]] == ["long-fest", "graspop", "wacken"]  # hellfest ended
    monkeypatch.setattr(queries, "today", lambda: data.TODAY - dt.timedelta(days=1))
    body = api("/api/festivals/upcoming").json()
    assert "yesterday-fest" in [r["festivalKey"] for r in body["festivals"]]


def test_upcoming_pages(seeded, api):
    first = api("/api/festivals/upcoming", query={"limit": "3"}).json()
    assert len(first["festivals"]) == 3 and first["count"] == 4
    rest = api("/api/festivals/upcoming", query={"limit": "3", "cursor": first["nextCursor"]}).json()
    assert [r["festivalKey"] for r in rest["festivals"]] == ["wacken"] and "nextCursor" not in rest
    assert api("/api/festivals/upcoming", query={"limit": "101"}).status == 400


def test_detail_is_the_published_body(seeded, api):
    assert api("/api/festivals/wacken").json() == data.FESTIVALS["wacken"]


def test_editions_and_one_edition(seeded, api):
    body = api("/api/festivals/hellfest/editions").json()
    assert body["festivalKey"] == "hellfest" and body["count"] == 2
    assert [e["year"] for e in body["editions"]] == sorted(e["year"] for e in data.FESTIVALS["hellfest"]["editions"])
    edition = api("/api/festivals/hellfest/editions/2023").json()["edition"]
    assert edition == {"festivalKey": "hellfest", **data.FESTIVALS["hellfest"]["editions"][0]}


def test_unknown_festival_and_edition_are_404_tagged(seeded, api, dynamo_calls):
    for path in ("/api/festivals/nope", "/api/festivals/nope/editions", "/api/festivals/nope/editions/2020"):
        response = api(path)
        assert response.status == 404 and response.header("Cache-Tag") == "festival:nope"
    missing_year = api("/api/festivals/hellfest/editions/2000")
    assert missing_year.status == 404
    assert "2000" in missing_year.json()["error"]["message"]
    assert len(dynamo_calls) == 4


@pytest.mark.parametrize("suffix", ["", "/editions", "/editions/2025"])
def test_renamed_key_answers_301(seeded, api, dynamo_calls, suffix):
    response = api(f"/api/festivals/wacken-open-air{suffix}", query={"limit": "5"} if suffix == "/editions" else None)
    assert response.status == 301
    expected = f"/api/festivals/wacken{suffix}" + ("?limit=5" if suffix == "/editions" else "")
    assert response.header("Location") == expected
    assert response.json() == {"festivalKey": "wacken", "location": expected}
    assert response.header("Cache-Tag") == "festival:wacken-open-air,festival:wacken"
    assert len(dynamo_calls) == 1


def test_festival_without_editions(dynamodb_table_session, api):
    # A module-local table state: empty, then one bare festival (the module's seeded data is rewritten after).
    from tests.fixtures.dynamodb import empty_table

    empty_table(dynamodb_table_session)
    try:
        detail = {"festival": {"key": "bare", "name": "Bare"}, "editions": []}
        data.write(items.festival_items(detail))
        row = api("/api/festivals").json()["festivals"][0]
        assert row["latestEdition"] is None and row["editions"] == [] and row["totalEditions"] == 0
        assert api("/api/festivals/bare/editions").json()["count"] == 0
        assert json.loads(api("/api/festivals/bare").body) == detail
    finally:
        empty_table(dynamodb_table_session)
        data.write(data.all_items())


def _lineup_entries(body):
    for edition in body.get("editions") or ([body["edition"]] if "edition" in body else []):
        yield from edition["bands"]


def test_a_lineup_entry_without_a_public_band_keeps_its_key_and_the_key_is_a_404(seeded, api, dynamo_calls):
    """Issue 11.1: lineup entries of bands with no public page carried `"key": null` against the contract."""
    entry = next(e for e in api("/api/festivals/graspop").json()["editions"][0]["bands"] if e["name"] == "Unsigned Heroes")
    assert entry == {"key": data.NOT_PUBLIC, "name": "Unsigned Heroes", "size": 3}
    year = api("/api/festivals/graspop").json()["editions"][0]["year"]
    assert data.NOT_PUBLIC in [e["key"] for e in _lineup_entries(api(f"/api/festivals/graspop/editions/{year}").json())]
    assert data.NOT_PUBLIC in [e["key"] for e in _lineup_entries(api("/api/festivals/graspop/editions").json())]
    for path in (f"/api/bands/{entry['key']}", f"/api/bands/{entry['key']}/festivals"):
        response = api(path)  # validated: the documented 404
        assert response.status == 404 and response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
        assert response.header("Cache-Tag") == f"band:{data.NOT_PUBLIC}"  # publishing the band clears it
    assert api("/api/festivals/graspop/editions").json()["count"] == 1


def test_every_lineup_entry_of_every_answer_has_a_key(seeded, api):
    for key in data.FESTIVALS:
        for body in (api(f"/api/festivals/{key}").json(), api(f"/api/festivals/{key}/editions").json()):
            for entry in _lineup_entries(body):
                assert isinstance(entry["key"], str) and entry["key"], (key, entry)
