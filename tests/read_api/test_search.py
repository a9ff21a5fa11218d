"""GET /api/search: normalisation, the prefix index's rows, ranking, one Query per answer, and bad `q`."""

import json

import pytest

from read_api import items, schema, search

from . import data

pytestmark = pytest.mark.dynamodb


def _band(key, name, festivals=0, country="Germany"):
    detail = data._band(key, name, country, [], [], False)
    rows = [{"festivalKey": f"fest-{n}", "festivalName": f"Fest {n}", "location": None, "year": 2026,
             "dates": {"start": "2026-06-01", "end": "2026-06-02"}, "size": 0, "status": "announced"}
            for n in range(festivals)]
    return items.band_items(detail, rows, rev=1)


# Beside the shared catalog: accents, a band whose name holds another's, a crowded prefix.
EXTRA = [
    *_band("motorhead", "Motörhead", 3, "United Kingdom"),
    *_band("iron-maiden-tribute", "Iron Maiden Tribute", 9),
    *_band("the-iron-mothers", "The Iron Mothers", 1),
    *_band("queensryche", "Queensrÿche", 2, "United States"),
    *_band("guns-n-roses", "Guns N' Roses", 4, "United States"),
    *(item for n in range(25) for item in _band(f"maid-{n:02d}", f"Maid {n:02d}", n % 5)),
]


@pytest.fixture(scope="module")
def searchable(seeded):
    data.write(EXTRA)
    return seeded


# --- normalisation and the index's keys -------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("Motörhead", "motorhead"), ("  IRON   m", "iron m"), ("Queensrÿche", "queensryche"),
    ("Guns N' Roses", "guns n roses"), ("Mötley Crüe", "motley crue"), ("AC/DC", "ac dc"),
    ("Sigur Rós", "sigur ros"), ("Ария", "ariya"), ("!!!", ""),
])
def test_normalise_transliterates_like_keys(text, expected):
    assert search.normalise(text) == expected


def test_a_name_is_indexed_under_prefixes_of_itself_and_of_each_later_word():
    found = search.prefixes("Iron Maiden")
    assert list(found)[:5] == ["i", "ir", "iro", "iron", "iron m"]
    assert {"iron maiden", "m", "maid", "maiden"} <= set(found)
    assert "iron " not in found and found["maid"] == "maiden" and found["iron m"] == "iron maiden"
    long = search.prefixes("Graspop Metal Meeting")
    assert "graspop meta" in long and "graspop metal" not in long  # capped at MAX_PREFIX characters
    assert long["metal meetin"] == "metal meeting" and long["meeting"] == "meeting"


def test_rank_sort_key_orders_exact_name_then_count_then_name():
    keys = [
        search.rank_sk("iron maiden", "Iron Maiden Tribute", 9, "band", "iron-maiden-tribute"),
        search.rank_sk("iron maiden", "Iron Maiden", 1, "band", "iron-maiden"),
        search.rank_sk("iron maiden", "Iron Maiden XL", 9, "band", "iron-maiden-xl"),
        search.rank_sk("iron maiden", "Iron Maiden Fest", 12, "festival", "im-fest"),
    ]
    assert [search.name_of_sk(k) for k in sorted(keys)] == [
        "iron maiden", "iron maiden fest", "iron maiden tribute", "iron maiden xl"]


def test_a_band_owns_its_rows_through_a_manifest_in_its_own_partition():
    built = _band("motorhead", "Motörhead", 3, "United Kingdom")
    rows = [i for i in built if i.PK.startswith(schema.SEARCH_PREFIX)]
    manifest = next(i for i in built if i.SK == schema.SEARCH_MANIFEST)
    assert manifest.PK == schema.band_pk("motorhead")
    assert schema.parse_refs(manifest.refs) == sorted((r.PK, r.SK) for r in rows)
    assert {r.PK for r in rows} == {schema.search_pk(p) for p in search.prefixes("Motörhead")}
    assert json.loads(rows[0].body) == {"type": "band", "key": "motorhead", "name": "Motörhead",
                                        "country": "United Kingdom", "festivalCount": 3}
    assert not [i for i in _band("nothing", "???") if i.PK.startswith("SEARCH") or i.SK == schema.SEARCH_MANIFEST]


# --- the endpoint ----------------------------------------------------------------------------
def _names(response) -> list[str]:
    return [r["name"] for r in response.json()["results"]]


@pytest.mark.parametrize("q, found", [
    ("iron m", "Iron Maiden"), ("IRON MAIDEN", "Iron Maiden"), ("motor", "Motörhead"), ("mötörhëad", "Motörhead"),
    ("queensry", "Queensrÿche"), ("guns n", "Guns N' Roses"), ("wacken", "Wacken Open Air"),
    ("open air", "Wacken Open Air"), ("mothers", "The Iron Mothers"),
])
def test_prefix_and_word_prefix_matches(searchable, api, dynamo_calls, q, found):
    response = api("/api/search", query={"q": q})
    assert response.status == 200
    assert found in _names(response)
    assert dynamo_calls == ["Query"]


def test_exact_name_first_then_by_festival_count(searchable, api):
    assert _names(api("/api/search", query={"q": "iron maiden"}))[:2] == ["Iron Maiden", "Iron Maiden Tribute"]
    iron = api("/api/search", query={"q": "iron"}).json()["results"]
    assert [r["name"] for r in iron] == ["Iron Maiden Tribute", "Iron Maiden", "The Iron Mothers"]
    assert iron[0]["festivalCount"] >= iron[1]["festivalCount"] >= iron[2]["festivalCount"]


def test_word_prefix_finds_the_band_by_a_later_word(searchable, api):
    names = _names(api("/api/search", query={"q": "maid"}))
    assert "Iron Maiden" in names and "Iron Maiden Tribute" in names


def test_at_most_twenty_results_best_ranked_first(searchable, api, dynamo_calls):
    body = api("/api/search", query={"q": "maid"}).json()
    assert body["count"] == len(body["results"]) == search.MAX_RESULTS
    counts = [r.get("festivalCount", r.get("editionCount")) for r in body["results"]]
    assert counts == sorted(counts, reverse=True)
    assert dynamo_calls == ["Query"]


def test_festivals_are_typed_with_their_edition_count(searchable, api):
    result = api("/api/search", query={"q": "graspop"}).json()["results"][0]
    assert result["type"] == "festival" and result["key"] == "graspop"
    assert result["editionCount"] == len(data.FESTIVALS["graspop"]["editions"])
    assert result["location"] == "Dessel, Belgium"


def test_a_query_longer_than_the_indexed_prefix_filters_its_partition(searchable, api, dynamo_calls):
    assert _names(api("/api/search", query={"q": "Graspop Metal Meeting"})) == ["Graspop Metal Meeting"]
    assert _names(api("/api/search", query={"q": "iron maiden tribute"})) == ["Iron Maiden Tribute"]
    assert api("/api/search", query={"q": "graspop metal mosh"}).json()["results"] == []
    assert dynamo_calls == ["Query"] * 3


def test_answers_are_tagged_with_the_start_of_the_partition_they_read(searchable, api):
    assert api("/api/search", query={"q": "Iron M"}).header("Cache-Tag") == "search:ir"
    assert api("/api/search", query={"q": "i"}).header("Cache-Tag") == "search:i"
    assert api("/api/search", query={"q": "a b"}).header("Cache-Tag") == "search:a-"
    assert api("/api/search", query={"q": "graspop metal meeting"}).header("Cache-Tag") == "search:gr"
    nothing = api("/api/search", query={"q": "zzzz"})
    assert nothing.status == 200 and nothing.json() == {"query": "zzzz", "results": [], "count": 0}
    assert nothing.header("Cache-Tag") == "search:zz"  # cleared when a band named Zzzz is published


def test_a_rename_invalidates_the_tags_of_both_names_words():
    from read_api import cachetags

    old, new = _band("x", "Iron Maiden", 2), _band("x", "Motörhead", 2)
    tags = cachetags.for_items([i for i in [*old, *new] if i.PK.startswith(schema.SEARCH_PREFIX)])
    assert tags == {"search:i", "search:ir", "search:m", "search:ma", "search:mo"}


@pytest.mark.parametrize("query", [{}, {"q": ""}, {"q": "!?"}, {"q": "x" * 101}, {"q": "iron", "limit": "5"}])
def test_a_missing_empty_or_too_long_q_is_400(searchable, api, dynamo_calls, query):
    response = api("/api/search", query=query or None)
    assert response.status == 400
    assert response.json()["error"]["details"]["parameter"] in ("q", "limit")
    assert dynamo_calls == []
