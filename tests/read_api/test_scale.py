"""Lists past DynamoDB's 1 MB Query page (issue 12.5), on DynamoDB Local with enough data to cross it.

1,400 band rows of about 2.7 KB (about 380 to a 1 MB page), 3,000 upcoming editions of
about 2 KB and 1,000 festival rows of about 1.8 KB, all in one country, written with the item
builders (with the country and upcoming counts publishing keeps). Each GET is one DynamoDB request; a
walk by cursor answers every row exactly once, never an empty page; an offset whose rows lie past
the page is a 400 that points at the cursor.
"""

import datetime as dt

import pytest

from read_api import queries, schema

from . import data

pytestmark = [pytest.mark.dynamodb, pytest.mark.slow]

BANDS = 1_400
UPCOMING = 3_000
FESTIVAL_ROWS = 1_000  # festivals whose row (/api/festivals?country=NO) is written too: past one 1 MB page
ENDED_IN_WINDOW = 150  # editions that ended in the last 31 days: in GSI1's window, dropped by the filter
LONG = "x" * 2_400


def _band(n: int) -> dict:
    return {"band": {"key": f"b-{n:05d}", "name": f"Band {n}", "country": "Norway", "countryCode": "NO",
                     "genreKeys": [],
                     "logo": f"https://cdn.example.com/{n}/{LONG}", "members": [], "reviewed": n % 3 == 0},
            "genres": [], "roles": []}


@pytest.fixture(scope="module")
def large(dynamodb_table_session):
    from read_api import items
    from tests.fixtures.dynamodb import bind, empty_table

    bind(dynamodb_table_session)
    empty_table(dynamodb_table_session)
    today = queries.today()
    built = []
    for n in range(BANDS):
        built += [i for i in items.band_items(_band(n), []) if isinstance(i, schema.BandRowItem)]
    reviewed = len(range(0, BANDS, 3))
    built += [items.summary_item(schema.BANDS_PK, BANDS), items.summary_item(schema.BANDS_REVIEWED_PK, reviewed),
              items.summary_item(schema.BANDS_UNREVIEWED_PK, BANDS - reviewed)]
    editions = [(f"f-{n:05d}", today + dt.timedelta(days=n % 900), today + dt.timedelta(days=n % 900 + 2))
                for n in range(UPCOMING)]
    editions += [(f"e-{n:05d}", today - dt.timedelta(days=20), today - dt.timedelta(days=1 + n % 10))
                 for n in range(ENDED_IN_WINDOW)]
    for n, (key, start, end) in enumerate(editions):
        kinds = (schema.UpcomingItem, schema.FestivalRowItem) if n < FESTIVAL_ROWS else schema.UpcomingItem
        detail = data.dated_festival(key, start, end, poster=f"https://cdn.example.com/{key}/{LONG[:1_600]}")
        built += [i for i in items.festival_items(detail) if isinstance(i, kinds)]
    built += items.country_count_items(schema.BAND_COUNTRIES_PK, {"NO": BANDS})
    built += items.country_count_items(schema.FESTIVAL_COUNTRIES_PK, {"NO": FESTIVAL_ROWS})
    ends = {}
    for _, _, end in editions:
        ends[("NO", end.isoformat())] = ends.get(("NO", end.isoformat()), 0) + 1
    built += items.upcoming_count_items(ends, today)  # as publishing counts them
    data.write(built)
    yield
    empty_table(dynamodb_table_session)
    data.write(data.all_items())


def _walk(api, path, query):
    """Every page of a list by cursor: (rows, pages), each page checked to be one DynamoDB request."""
    pages, rows = [], []
    while True:
        response = api(path, query=query)
        assert response.status == 200, response.body[:300]
        assert queries.stats.requests == 1
        body = response.json()
        pages.append(body)
        rows += body[next(k for k in ("bands", "festivals") if k in body)]
        if "nextCursor" not in body:
            return rows, pages
        assert rows, "an empty page with a nextCursor"
        query = {**query, "cursor": body["nextCursor"]}


def test_band_list_walk_past_1_mb(large, api):
    rows, pages = _walk(api, "/api/bands", {"limit": "500"})
    assert [r["key"] for r in rows] == [f"b-{n:05d}" for n in range(BANDS)]  # each band exactly once, in order
    assert all(p["count"] == BANDS for p in pages)  # the published count, exact on every page
    assert all(p["bands"] for p in pages)  # never an empty page
    assert any(len(p["bands"]) < 500 and "nextCursor" in p for p in pages)  # a 1 MB page ended before the limit
    reviewed, pages = _walk(api, "/api/bands/reviewed", {"limit": "500"})
    assert [r["key"] for r in reviewed] == [f"b-{n:05d}" for n in range(0, BANDS, 3)]
    assert all(p["count"] == len(reviewed) for p in pages)


def test_offset_past_the_1_mb_page_is_a_400_pointing_at_the_cursor(large, api):
    refused = api("/api/bands", query={"offset": "500", "limit": "500"})
    assert refused.status == 400 and queries.stats.requests == 1
    assert refused.json()["error"]["details"] == {"parameter": "offset", "use": "cursor"}
    assert "nextCursor" in refused.json()["error"]["message"]
    short = api("/api/bands", query={"offset": "100", "limit": "500"}).json()  # the rows that are there
    assert short["bands"][0]["key"] == "b-00100" and 0 < len(short["bands"]) < 500 and short["count"] == BANDS
    after = api("/api/bands", query={"limit": "500", "cursor": short["nextCursor"]}).json()
    assert after["bands"][0]["key"] == f"b-{100 + len(short['bands']):05d}"


def test_upcoming_walk_past_1_mb(large, api):
    rows, pages = _walk(api, "/api/festivals/upcoming", {"limit": "100"})
    keys = [r["festivalKey"] for r in rows]
    assert len(keys) == len(set(keys)) == UPCOMING  # every upcoming edition exactly once, no ended one
    assert all(k.startswith("f-") for k in keys)
    starts = [r["latestEdition"]["dates"]["start"] for r in rows]
    assert starts == sorted(starts)
    assert all(p["count"] == UPCOMING for p in pages)  # today's count item, read on page 1: exact on every page
    assert len(pages) >= UPCOMING // 100  # about 2 KB rows: at most one page of 100 fits each Query


@pytest.mark.parametrize("query", [{"country": "NO", "limit": "100"}, {"from": "2000-01-01", "limit": "100"},
                                   {"country": "NO", "from": "2000-01-01", "limit": "77"}])
def test_upcoming_walks_past_1_mb_have_the_exact_count_on_every_page(large, api, query):
    rows, pages = _walk(api, "/api/festivals/upcoming", query)
    keys = [(r["festivalKey"], r["latestEdition"]["year"]) for r in rows]
    assert len(keys) == len(set(keys)) == UPCOMING and all(k.startswith("f-") for k, _ in keys)
    assert len(pages) > 2 and all(p["count"] == UPCOMING for p in pages)


@pytest.mark.parametrize("path,query,expected", [
    ("/api/festivals", {"from": "2000-01-01", "limit": "500"}, UPCOMING + ENDED_IN_WINDOW),
    ("/api/festivals/upcoming", {"to": "2099-12-31", "limit": "100"}, UPCOMING),
])
def test_date_walks_past_1_mb_count_only_when_exact(large, api, path, query, expected):
    """No count item answers for 2000-01-01 (publishing counts from today's month on), nor for a window with an end."""
    rows, pages = _walk(api, path, query)
    keys = [(r["festivalKey"], r["latestEdition"]["year"]) for r in rows]
    assert len(keys) == len(set(keys)) == expected
    assert pages[-1]["count"] == expected
    assert all("count" not in p for p in pages[:-1])


@pytest.mark.parametrize("path,key,expected", [
    ("/api/bands", "key", [f"b-{n:05d}" for n in range(BANDS)]),
    ("/api/festivals", "festivalKey", sorted(f"f-{n:05d}" for n in range(FESTIVAL_ROWS))),
])
def test_country_walks_past_1_mb_have_the_exact_count_on_every_page(large, api, path, key, expected):
    rows, pages = _walk(api, path, {"country": "NO", "limit": "500"})
    assert [r[key] for r in rows] == expected  # each row exactly once, in key order
    assert len(pages) > 2 and all(p["count"] == len(expected) for p in pages)  # the country's count, every page
    assert any(len(p[path.rsplit("/", 1)[1]]) < 500 and "nextCursor" in p for p in pages)  # a 1 MB page ended first


def test_lists_project_only_what_they_answer(large, api, dynamo_calls):
    """Issue 12.8: rows come back without rev, content_hash or index keys (less to parse)."""
    from read_api.schema import Item

    seen = []
    events = Item._get_connection().connection.client.meta.events

    def record(params, **_):
        seen.append(params.get("ProjectionExpression"))

    events.register("provide-client-params.dynamodb.Query", record)
    events.register("provide-client-params.dynamodb.GetItem", record)
    try:
        api("/api/bands", query={"limit": "5"})
        api("/api/festivals/upcoming", query={"limit": "5"})
        api("/api/bands/b-00001")
    finally:
        events.unregister("provide-client-params.dynamodb.Query", record)
        events.unregister("provide-client-params.dynamodb.GetItem", record)
    assert len(seen) == 3 and all(seen)
    page = queries.query(schema.BANDS_PK, limit=3)
    assert {name for item in page.items for name in item} <= {"SK", "kind", "body", "count"}
