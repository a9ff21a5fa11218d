"""Bands: list (reviewed filter, paging), reviewed / unreviewed via GSI3, detail, the band's festivals."""

import pytest

from read_api import paging

from . import data

pytestmark = pytest.mark.dynamodb

REVIEWED = sorted(k for k, d in data.BANDS.items() if d["band"]["reviewed"])
UNREVIEWED = sorted(k for k, d in data.BANDS.items() if not d["band"]["reviewed"])


def test_list_rows_and_count(seeded, api):
    body = api("/api/bands").json()
    assert body["count"] == len(data.BANDS)
    assert [b["key"] for b in body["bands"]] == sorted(data.BANDS)
    metallica = next(b for b in body["bands"] if b["key"] == "metallica")
    assert metallica == {
        "key": "metallica", "name": "Metallica", "country": "United States",
        "genreKeys": ["heavy-metal", "thrash-metal"], "genreNames": ["Heavy Metal", "Thrash Metal"],
        "logo": "https://example.com/metallica.png", "reviewed": True, "festivalCount": 2,
    }


@pytest.mark.parametrize("path,query,expected", [
    ("/api/bands/reviewed", None, REVIEWED),
    ("/api/bands/unreviewed", None, UNREVIEWED),
    ("/api/bands", {"reviewed": "true"}, REVIEWED),
    ("/api/bands", {"reviewed": "false"}, UNREVIEWED),
])
def test_review_filters(seeded, api, dynamo_calls, path, query, expected):
    body = api(path, query=query).json()
    assert [b["key"] for b in body["bands"]] == expected
    assert body["count"] == len(expected)
    assert dynamo_calls == ["Query"]


@pytest.mark.parametrize("path,query,expected", [
    ("/api/bands", {}, sorted(data.BANDS)),
    ("/api/bands/unreviewed", {}, UNREVIEWED),
    ("/api/bands", {"reviewed": "false"}, UNREVIEWED),
])
def test_cursor_walks_the_whole_list_once(seeded, api, path, query, expected):
    seen, cursor, pages = [], None, 0
    while True:
        params = {**query, "limit": "7", **({"cursor": cursor} if cursor else {})}
        body = api(path, query=params).json()
        assert body["count"] == len(expected)
        seen += [b["key"] for b in body["bands"]]
        pages += 1
        cursor = body.get("nextCursor")
        if not cursor:
            break
    assert seen == expected
    assert pages == -(-len(expected) // 7)


def test_offset_paging_matches_cursor_paging(seeded, api):
    first = api("/api/bands", query={"limit": "10"}).json()
    by_cursor = api("/api/bands", query={"limit": "10", "cursor": first["nextCursor"]}).json()
    by_offset = api("/api/bands", query={"limit": "10", "offset": "10"}).json()
    assert by_cursor["bands"] == by_offset["bands"]
    beyond = api("/api/bands", query={"offset": str(paging.MAX_OFFSET)}).json()
    assert beyond["bands"] == [] and beyond["count"] == len(data.BANDS)


def test_a_cursor_belongs_to_its_list(seeded, api):
    cursor = api("/api/bands", query={"limit": "2"}).json()["nextCursor"]
    assert api("/api/bands/reviewed", query={"cursor": cursor}).status == 400
    assert api("/api/genres/power-metal/bands", query={"cursor": cursor}).status == 400
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert api("/api/bands", query={"cursor": tampered}).status == 400


def test_detail(seeded, api):
    assert api("/api/bands/iron-maiden").json() == data.BANDS["iron-maiden"]
    response = api("/api/bands/nobody")
    assert response.status == 404 and response.header("Cache-Tag") == "band:nobody"
    assert "nobody" in response.json()["error"]["message"]


def test_an_empty_description_is_null_like_every_empty_field(seeded, api):
    """Issue 11.7: the catalog's "" came back as "" while other empty fields were null."""
    assert data.BANDS["sabaton"]["band"]["description"] == ""
    band = api("/api/bands/sabaton").json()["band"]
    assert band["description"] is None and band["website"] is None and band["headlineImage"] is None


def test_band_festivals(seeded, api):
    body = api("/api/bands/metallica/festivals").json()
    assert body["bandKey"] == "metallica"
    assert body["festivals"] == data.band_festivals("metallica")
    assert body["count"] == 3
    assert api("/api/bands/nobody/festivals").status == 404
    assert api("/api/bands/band-030/festivals").json()["count"] == 0  # a band that played nowhere
