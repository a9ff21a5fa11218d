"""Genres: list, detail with bandCount, the genre's bands (paged)."""

import pytest

from . import data

pytestmark = pytest.mark.dynamodb


def test_list(seeded, api):
    body = api("/api/genres").json()
    assert body == {"genres": [
        {"key": "heavy-metal", "name": "Heavy Metal", "bandCount": 2},
        {"key": "power-metal", "name": "Power Metal", "bandCount": 31},
        {"key": "thrash-metal", "name": "Thrash Metal", "bandCount": 1},
    ], "count": 3}


def test_detail(seeded, api):
    assert api("/api/genres/thrash-metal").json() == {"genre": {
        "key": "thrash-metal", "name": "Thrash Metal", "description": "Fast and aggressive.", "bandCount": 1}}
    assert api("/api/genres/polka").status == 404


def test_bands_of_a_genre(seeded, api):
    body = api("/api/genres/heavy-metal/bands").json()
    assert body["genreKey"] == "heavy-metal" and body["count"] == 2
    assert body["bands"] == data.genre_bands("heavy-metal")
    page = api("/api/genres/power-metal/bands", query={"limit": "30"}).json()
    assert len(page["bands"]) == 30 and page["count"] == 31
    last = api("/api/genres/power-metal/bands", query={"limit": "30", "cursor": page["nextCursor"]}).json()
    assert [b["key"] for b in last["bands"]] == ["sabaton"] and "nextCursor" not in last
    assert api("/api/genres/polka/bands").status == 404


@pytest.fixture
def many_genres(dynamodb_table_session):
    """172 genres (as many as the newer legacy export has): more than any page size's default."""
    from read_api import items, schema
    from tests.fixtures.dynamodb import empty_table

    empty_table(dynamodb_table_session)
    built = [items.summary_item(schema.GENRES_PK, 172)]
    for n in range(172):
        built += items.genre_items({"key": f"g-{n:03d}", "name": f"G {n}", "description": ""}, [])
    data.write(built)
    yield
    empty_table(dynamodb_table_session)
    data.write(data.all_items())


def test_the_whole_list_by_default_cursor_pages_with_limit(many_genres, api, dynamo_calls):
    """Issue 11.5: /api/genres answered 100 of 172 by default; the specification returns all of them."""
    body = api("/api/genres").json()
    assert [g["key"] for g in body["genres"]] == [f"g-{n:03d}" for n in range(172)]
    assert body["count"] == 172 and "nextCursor" not in body
    assert dynamo_calls == ["Query"]
    first = api("/api/genres", query={"limit": "100"}).json()
    assert len(first["genres"]) == 100 and first["count"] == 172
    rest = api("/api/genres", query={"limit": "100", "cursor": first["nextCursor"]}).json()
    assert [g["key"] for g in first["genres"] + rest["genres"]] == [g["key"] for g in body["genres"]]
    assert "nextCursor" not in rest and rest["count"] == 172
    tail = api("/api/genres", query={"offset": "170"}).json()
    assert [g["key"] for g in tail["genres"]] == ["g-170", "g-171"] and tail["count"] == 172
    assert api("/api/genres/g-007").json()["genre"]["description"] is None  # empty text is null


def test_a_whole_list_past_one_query_page_continues_through_its_cursor(many_genres, api, monkeypatch):
    """Each GET of a whole list is one DynamoDB request; a list past one page (1 MB) continues by cursor."""
    from read_api import queries

    real = queries.query

    def small_pages(pk, **kwargs):  # DynamoDB's 1 MB page, scaled down to 50 items
        return real(pk, **{**kwargs, "limit": kwargs.get("limit") or 50})

    monkeypatch.setattr(queries, "query", small_pages)
    walked, query, requests = [], {}, []
    while True:
        body = api("/api/genres", query=query).json()
        requests.append(queries.stats.requests)
        assert body["count"] == 172 and body["genres"]  # never an empty page
        walked += [g["key"] for g in body["genres"]]
        if "nextCursor" not in body:
            break
        query = {"cursor": body["nextCursor"]}
    assert walked == [f"g-{n:03d}" for n in range(172)]
    assert requests == [1, 1, 1, 1]  # 49 + 50 + 50 + 23 rows: the summary item shares page 1
    deep = api("/api/genres", query={"offset": "60"})  # its rows lie past the first (scaled) page
    assert deep.status == 400 and queries.stats.requests == 1
    assert deep.json()["error"]["details"] == {"parameter": "offset", "use": "cursor"}
