"""Issue 15.2: the lists' filters (country, month or from/to, bbox; bands by country or genre), each one index read,
combinable with each other and with paging; unknown query parameters are a 400."""

import pytest

from read_api import items, schema

from . import data
from .test_http import PATHS

pytestmark = pytest.mark.dynamodb

EUROPE = "40,-10,60,20"  # Clisson (47.09, -1.28) and Wacken (54.02, 9.38); Graspop and Long Fest have no coordinates
WACKEN_NEXT = data.FESTIVALS["wacken"]["editions"][1]
WACKEN_MONTH = WACKEN_NEXT["dates"]["start"][:7]


def festivals(response) -> list[tuple[str, int | None]]:
    body = response.json()
    return [(row["festivalKey"], (row["latestEdition"] or {}).get("year")) for row in body["festivals"]]


@pytest.mark.parametrize("query,expected", [
    ({"country": "de"}, [("wacken", WACKEN_NEXT["year"])]),
    ({"country": "FR"}, [("hellfest", data._year(-1))]),
    ({"country": "US"}, []),
    ({"bbox": EUROPE}, [("hellfest", data._year(-1)), ("wacken", WACKEN_NEXT["year"])]),  # by latitude
    ({"bbox": "50,0,60,20"}, [("wacken", WACKEN_NEXT["year"])]),
    ({"bbox": "40,5,60,-170"}, [("wacken", WACKEN_NEXT["year"])]),  # west > east: across the antimeridian
    ({"bbox": "40,170,60,-170"}, []),
    ({"country": "FR", "bbox": "50,0,60,20"}, []),
    ({"country": "DE", "bbox": EUROPE}, [("wacken", WACKEN_NEXT["year"])]),
    ({"month": WACKEN_MONTH}, [("wacken", WACKEN_NEXT["year"])]),
    ({"from": "2025-07-01", "to": "2025-08-31"}, [("wacken", 2025)]),
    ({"to": "2019-12-31"}, [("old-fest", 2019)]),
    ({"from": "2023-01-01", "to": "2023-12-31", "bbox": EUROPE}, [("hellfest", 2023)]),
    ({"from": "2025-07-31", "to": "2025-07-31", "country": "de"}, [("wacken", 2025)]),  # a day inside the edition
    ({"from": "2025-08-03", "to": "2025-08-10", "country": "de"}, []),  # the day after it ended
    ({"month": "2025-07", "country": "FR"}, []),
])
def test_festival_filters_are_one_index_query(seeded, api, dynamo_calls, query, expected):
    response = api("/api/festivals", query=query)
    assert response.status == 200, response.body
    assert dynamo_calls == ["Query"]
    assert festivals(response) == expected
    assert response.json()["count"] == len(expected)
    dated = {"month", "from", "to"} & set(query)
    assert response.header("Cache-Tag") == ("upcoming" if dated else "festivals")


@pytest.mark.parametrize("query,expected", [
    ({"country": "fr"}, ["hellfest"]),
    ({"country": "NO"}, []),  # Yesterday Fest ended yesterday
    ({"country": "FI"}, ["long-fest"]),  # started 50 days ago, still on
    ({"bbox": EUROPE}, ["hellfest", "wacken"]),
    ({"month": WACKEN_MONTH}, ["wacken"]),
    ({"month": "2025-07"}, []),  # a window wholly in the past
    ({"from": "2019-01-01", "to": data._d(40)}, ["long-fest", "hellfest", "graspop"]),
])
def test_upcoming_filters(seeded, api, dynamo_calls, query, expected):
    response = api("/api/festivals/upcoming", query=query)
    assert response.status == 200, response.body
    assert dynamo_calls in (["Query"], [])  # a past window is known empty without a read
    assert [key for key, _ in festivals(response)] == expected
    assert response.header("Cache-Tag") == "upcoming"


def test_a_filtered_walk_pages_by_cursor_and_cursors_stay_with_their_filters(seeded, api, dynamo_calls):
    first = api("/api/festivals", query={"bbox": EUROPE, "limit": "1"}).json()
    assert [row["festivalKey"] for row in first["festivals"]] == ["hellfest"]
    second = api("/api/festivals", query={"bbox": EUROPE, "limit": "1", "cursor": first["nextCursor"]}).json()
    assert [row["festivalKey"] for row in second["festivals"]] == ["wacken"]
    assert "nextCursor" not in second and second["count"] == 2
    dynamo_calls.clear()
    elsewhere = api("/api/festivals", query={"bbox": "0,-10,60,20", "cursor": first["nextCursor"]})
    assert elsewhere.status == 400 and elsewhere.json()["error"]["details"]["parameter"] == "cursor"
    unfiltered = api("/api/festivals", query={"cursor": first["nextCursor"]})
    assert unfiltered.status == 400
    assert dynamo_calls == []


def test_a_country_walk_of_bands(seeded, api, dynamo_calls):
    keys, query = [], {"country": "fi", "limit": "7"}
    while True:
        body = api("/api/bands", query=query).json()
        keys += [row["key"] for row in body["bands"]]
        if "nextCursor" not in body:
            break
        query = {"country": "FI", "limit": "7", "cursor": body["nextCursor"]}
    assert keys == sorted(k for k, d in data.BANDS.items() if d["band"]["countryCode"] == "FI")
    assert body["count"] == 30
    assert set(dynamo_calls) == {"Query"} and len(dynamo_calls) == 5


@pytest.mark.parametrize("query,expected,tags", [
    ({"country": "se"}, ["sabaton"], "bands"),
    ({"country": "GB"}, ["iron-maiden"], "bands"),
    ({"country": "JP"}, [], "bands"),
    ({"genre": "thrash-metal"}, ["metallica"], "bands,genre:thrash-metal"),
    ({"genre": "heavy-metal", "limit": "1"}, ["iron-maiden"], "bands,genre:heavy-metal"),
    ({"genre": "doom-metal"}, [], "bands,genre:doom-metal"),
])
def test_band_filters(seeded, api, dynamo_calls, query, expected, tags):
    response = api("/api/bands", query=query)
    assert response.status == 200, response.body
    assert dynamo_calls == ["Query"]
    assert [row["key"] for row in response.json()["bands"]][:len(expected) or None] == expected
    assert response.header("Cache-Tag") == tags
    if "genre" in query:  # the genre's own list: its exact count
        assert response.json()["count"] == len(data.genre_bands(query["genre"]))


@pytest.mark.parametrize("path,query,parameter", [
    ("/api/festivals", {"country": "DEU"}, "country"),
    ("/api/festivals", {"country": ""}, "country"),
    ("/api/festivals", {"month": "2026-13"}, "month"),
    ("/api/festivals", {"month": "2026-7"}, "month"),
    ("/api/festivals", {"month": "2026-07", "from": "2026-07-01"}, "month"),
    ("/api/festivals", {"from": "2026-02-30"}, "from"),
    ("/api/festivals", {"to": "20260101"}, "to"),
    ("/api/festivals", {"from": "2026-08-01", "to": "2026-07-01"}, "to"),
    ("/api/festivals/upcoming", {"from": "1900-01-01"}, "from"),
    ("/api/festivals", {"bbox": "1,2,3"}, "bbox"),
    ("/api/festivals", {"bbox": "60,0,40,10"}, "bbox"),  # south above north
    ("/api/festivals", {"bbox": "0,0,91,10"}, "bbox"),
    ("/api/festivals", {"bbox": "0,-181,10,10"}, "bbox"),
    ("/api/festivals", {"bbox": "nan,0,10,10"}, "bbox"),
    ("/api/festivals/upcoming", {"bbox": "a,b,c,d"}, "bbox"),
    ("/api/bands", {"country": "S"}, "country"),
    ("/api/bands", {"genre": "Power Metal"}, "genre"),
    ("/api/bands", {"genre": "power-metal", "country": "SE"}, "genre"),
    ("/api/bands", {"reviewed": "true", "country": "SE"}, "country"),
])
def test_malformed_filters_are_400_before_any_read(seeded, api, dynamo_calls, path, query, parameter):
    response = api(path, query=query)
    assert response.status == 400, response.body
    assert response.json()["error"]["details"]["parameter"] == parameter
    assert dynamo_calls == []


@pytest.mark.parametrize("path", PATHS)
def test_unknown_query_parameters_are_400_everywhere(seeded, api, dynamo_calls, path):
    response = api(path, query={"limt": "5"})
    assert response.status == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"]["parameter"] == "limt"
    assert "unknown query parameter 'limt'" in error["message"]
    assert dynamo_calls == []


def test_detail_endpoints_take_no_query_parameters(seeded, api):
    response = api("/api/bands/iron-maiden", query={"limit": "5"})
    assert response.status == 400
    assert response.json()["error"]["details"]["allowed"] == []


# --- the items behind the filters ------------------------------------------------------------------
def _by_kind(built, cls):
    return [item for item in built if isinstance(item, cls)]


def test_festival_items_carry_their_country_and_coordinates():
    built = items.festival_items(data.FESTIVALS["wacken"], rev=1)
    (row,) = _by_kind(built, schema.FestivalRowItem)
    assert (row.GSI2PK, row.GSI2SK) == ("FESTIVALS#COUNTRY#DE", "FESTIVAL#wacken")
    assert (row.GSI4PK, row.GSI4SK) == ("FESTIVALS#GEO", "144.02140#wacken")
    assert (row.lat, row.lng) == (54.0214, 9.3769)
    for upcoming in _by_kind(built, schema.UpcomingItem):
        assert upcoming.GSI2PK == "EDITIONS#COUNTRY#DE" and upcoming.GSI2SK == upcoming.GSI1SK
        assert (upcoming.lat, upcoming.lng) == (54.0214, 9.3769)


def test_festival_items_without_country_or_coordinates_stay_out_of_the_indexes():
    built = items.festival_items(data.FESTIVALS["old-fest"], rev=1)
    for item in built:
        assert item.GSI2PK is item.GSI4PK is item.lat is None
    graspop = items.festival_items(data.FESTIVALS["graspop"], rev=1)
    (row,) = _by_kind(graspop, schema.FestivalRowItem)
    assert row.GSI2PK == "FESTIVALS#COUNTRY#BE" and row.GSI4PK is None


@pytest.mark.parametrize("code", ["de", "DEU", "", None, 49])
def test_only_iso_codes_enter_a_country_partition(code):
    detail = {**data.BANDS["sabaton"], "band": {**data.BANDS["sabaton"]["band"], "countryCode": code}}
    (row,) = _by_kind(items.band_items(detail, [], rev=1), schema.BandRowItem)
    assert row.GSI2PK is None


def test_band_rows_by_country_and_home_nations():
    detail = {**data.BANDS["sabaton"], "band": {**data.BANDS["sabaton"]["band"], "countryCode": "GB-SCT"}}
    (row,) = _by_kind(items.band_items(detail, [], rev=1), schema.BandRowItem)
    assert (row.GSI2PK, row.GSI2SK) == ("BANDS#COUNTRY#GB-SCT", "BAND#sabaton")


def test_a_move_changes_the_content_hash_and_other_items_keep_theirs():
    before = {item.key: item.content_hash for item in items.festival_items(data.FESTIVALS["wacken"], rev=1)}
    moved = {**data.FESTIVALS["wacken"], "festival": {**data.FESTIVALS["wacken"]["festival"],
                                                       "coordinates": {"lat": 54.5, "lng": 9.3769}}}
    after = {item.key: item.content_hash for item in items.festival_items(moved, rev=1)}
    assert before[(schema.FESTIVALS_PK, "FESTIVAL#wacken")] != after[(schema.FESTIVALS_PK, "FESTIVAL#wacken")]
    genre = items.genre_items(data.GENRES["heavy-metal"], [], rev=1)[0]
    import hashlib
    import json
    legacy = [schema.Kind.GENRE, genre.body, None, None, None, None, None, None, None, None]
    assert genre.content_hash == hashlib.sha256(json.dumps(legacy, ensure_ascii=False).encode()).hexdigest()
