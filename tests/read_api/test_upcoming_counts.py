"""The upcoming counts (issue 12.5): exact on every page of /upcoming on any day, across month starts.

The count items are written as publishing writes them on one day (`PUBLISHED`, mid-January of a
leap year) and read on later days: the last of January, the first days of February and March
(page 1 then starts reading in the month before the last), the 29th of February, and so on. On
each day every page of the walk, unfiltered and by country, answers the number of editions that
have not ended, and the walk returns each of them exactly once.
"""

import datetime as dt

import pytest

from read_api import items, queries, schema

from . import data

pytestmark = [pytest.mark.dynamodb]

PUBLISHED = dt.date(2028, 1, 15)
FIRST = dt.date(2027, 11, 20)
COUNTRIES = ("NO", "SE", None)


def _editions() -> list[tuple[str, str | None, dt.date, dt.date]]:
    """(key, country, start, end): about one edition a day over 200 days, some longer than 31 days."""
    found = []
    for n in range(260):
        start = FIRST + dt.timedelta(days=n * 7919 % 200)
        days = 35 + n % 40 if n % 13 == 0 else n % 5
        found.append((f"u-{n:03d}", COUNTRIES[n % 3], start, start + dt.timedelta(days=days)))
    for n, gap in enumerate((5, 250)):  # a country with months between its editions: count items between its rows
        start = PUBLISHED + dt.timedelta(days=gap)
        found.append((f"u-fi-{n}", "FI", start, start + dt.timedelta(days=2)))
    return found


def _detail(key: str, country: str | None, start: dt.date, end: dt.date) -> dict:
    return data.dated_festival(key, start, end, country=country, location="Somewhere")


@pytest.fixture(scope="module")
def dated(dynamodb_table_session):
    from tests.fixtures.dynamodb import bind, empty_table

    bind(dynamodb_table_session)
    empty_table(dynamodb_table_session)
    details = [_detail(*edition) for edition in _editions()]
    built = [i for d in details for i in items.festival_items(d) if isinstance(i, schema.UpcomingItem)]
    built += items.upcoming_count_items(data.upcoming_ends(details), PUBLISHED)
    data.write(built)
    yield
    empty_table(dynamodb_table_session)
    data.write(data.all_items())


def _walk(api, query, path="/api/festivals/upcoming"):
    pages, rows = [], []
    while True:
        response = api(path, query=query)
        assert response.status == 200, response.body[:300]
        assert queries.stats.requests == 1
        body = response.json()
        pages.append(body)
        rows += body["festivals"]
        if "nextCursor" not in body:
            return rows, pages
        query = {**query, "cursor": body["nextCursor"]}


@pytest.mark.parametrize("day", [
    PUBLISHED, dt.date(2028, 1, 31), dt.date(2028, 2, 1), dt.date(2028, 2, 28), dt.date(2028, 2, 29),
    dt.date(2028, 3, 1), dt.date(2028, 3, 2), dt.date(2028, 3, 3), dt.date(2028, 3, 31), dt.date(2028, 4, 1),
    dt.date(2028, 5, 30)])
@pytest.mark.parametrize("country", ["", "SE"])
def test_every_page_has_the_exact_count_on_any_day(dated, api, monkeypatch, day, country):
    monkeypatch.setattr(queries, "today", lambda: day)
    expected = sorted(key for key, code, _, end in _editions() if end >= day and (not country or code == country))
    assert expected  # the days chosen all have editions to come
    rows, pages = _walk(api, {"limit": "7", **({"country": country} if country else {})})
    assert sorted(r["festivalKey"] for r in rows) == expected  # each edition not ended exactly once
    assert [p["count"] for p in pages] == [len(expected)] * len(pages)
    assert len(pages) >= -(-len(expected) // 7) and all(p["festivals"] for p in pages)  # never an empty page


def test_from_a_later_day_counts_from_its_own_month(dated, api, monkeypatch):
    monkeypatch.setattr(queries, "today", lambda: PUBLISHED)
    day = dt.date(2028, 3, 1)
    expected = sorted(key for key, _, _, end in _editions() if end >= day)
    rows, pages = _walk(api, {"limit": "11", "from": day.isoformat()})
    assert sorted(r["festivalKey"] for r in rows) == expected
    assert [p["count"] for p in pages] == [len(expected)] * len(pages)


def test_the_count_items_are_never_rows(dated, api, monkeypatch):
    """They sort among the rows of every edition list: no list, calendar or date window ever shows one."""
    monkeypatch.setattr(queries, "today", lambda: PUBLISHED)
    for query in ({}, {"from": "2027-01-01", "to": "2029-01-01"}, {"to": "2029-01-01"}, {"month": "2028-02"}):
        rows, _ = _walk(api, {"limit": "100", **query})
        assert rows and all(r["festivalKey"].startswith("u-") for r in rows)
    calendar = api("/api/festivals/upcoming.ics")
    assert calendar.status == 200 and calendar.body.count("BEGIN:VEVENT") == sum(
        1 for *_, end in _editions() if end >= PUBLISHED)


def test_the_count_items_cover_every_month_to_the_last_end():
    built = items.upcoming_count_items(data.upcoming_ends(_detail(*e) for e in _editions()), PUBLISHED)
    months = [i.GSI1SK for i in built if i.GSI1PK == schema.UPCOMING_GSI1PK]
    last_end = max(end for *_, end in _editions())
    assert months[0] == "2027-12" and months[-1] == last_end.isoformat()[:7]  # today − 31 days .. the last end
    assert {i.GSI2PK for i in built if i.GSI2PK} == {"EDITIONS#COUNTRY#NO", "EDITIONS#COUNTRY#SE",
                                                     "EDITIONS#COUNTRY#FI"}


def test_a_page_that_meets_only_count_items_goes_on_after_them(dated, api, monkeypatch):
    """Eight months between a country's two editions: a page of one row evaluates 4 items, all count items
    the filter drops; its cursor resumes after the last of them, and the walk still ends with the last row."""
    monkeypatch.setattr(queries, "today", lambda: PUBLISHED)
    rows, pages = _walk(api, {"limit": "1", "country": "FI"})
    assert [r["festivalKey"] for r in rows] == ["u-fi-0", "u-fi-1"]
    assert [p["count"] for p in pages] == [2] * len(pages)
    assert any(not p["festivals"] for p in pages) and pages[-1]["festivals"]  # a short page, then the row
