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
