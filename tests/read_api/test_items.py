"""The pure item builders: keys, shapes, counts, hashes; and a round trip through DynamoDB Local."""

import json

import pytest

from read_api import cachetags, items, schema, search
from read_api.schema import Item

from .data import BANDS, FESTIVALS, GENRES, ROLES, band_festivals, genre_bands, role_members


def _by_key(built):
    return {Item.key_of(item): item for item in built}


def test_festival_items_keys_and_row():
    detail = FESTIVALS["wacken"]
    FUTURE = detail["editions"][1]["year"]
    built = _by_key(items.festival_items(detail, rev=7))
    search_keys = {k for k in built if k[0].startswith(schema.SEARCH_PREFIX) or k[1] == schema.SEARCH_MANIFEST}
    assert ("SEARCH#wacken o", "1#99997#wacken open air#festival#wacken") in search_keys  # test_search.py has more
    assert set(built) - search_keys == {
        ("FESTIVAL#wacken", "METADATA"),
        ("METADATA#FESTIVALS", "FESTIVAL#wacken"),
        ("FESTIVAL#wacken#EDITIONS", "#SUMMARY"),
        ("FESTIVAL#wacken#EDITIONS", "EDITION#2025"),
        ("FESTIVAL#wacken#EDITIONS", f"EDITION#{FUTURE}"),
        ("FESTIVAL#wacken", "UPCOMING#2025"),
        ("FESTIVAL#wacken", f"UPCOMING#{FUTURE}"),
    }
    assert json.loads(built[("FESTIVAL#wacken", "METADATA")].body) == detail
    row = json.loads(built[("METADATA#FESTIVALS", "FESTIVAL#wacken")].body)
    assert row["latestEdition"]["year"] == FUTURE
    assert row["latestEdition"]["bandCount"] == len(detail["editions"][1]["bands"])
    assert row["editions"] == [2025, FUTURE] and row["totalEditions"] == 2
    assert built[("FESTIVAL#wacken#EDITIONS", "#SUMMARY")].count == 2
    upcoming = built[("FESTIVAL#wacken", f"UPCOMING#{FUTURE}")]
    edition = detail["editions"][1]
    assert upcoming.GSI1PK == "UPCOMING"
    assert upcoming.GSI1SK == f"{edition['dates']['start']}#wacken#{FUTURE}"
    assert upcoming.ends == edition["dates"]["end"]
    assert all(item.rev == 7 for item in built.values())


def test_long_editions_sort_at_end_minus_max_days():
    (upcoming,) = [i for i in items.festival_items(FESTIVALS["long-fest"]) if isinstance(i, schema.UpcomingItem)]
    end = FESTIVALS["long-fest"]["editions"][0]["dates"]["end"]
    import datetime as dt
    expected = (dt.date.fromisoformat(end) - dt.timedelta(days=schema.MAX_EDITION_DAYS)).isoformat()
    assert upcoming.GSI1SK.startswith(expected + "#long-fest#")


def test_every_item_has_kind_body_rev_and_hash():
    everything = [
        *items.festival_items(FESTIVALS["wacken"]),
        *items.band_items(BANDS["iron-maiden"], band_festivals("iron-maiden")),
        *items.genre_items(GENRES["heavy-metal"], genre_bands("heavy-metal")),
        *items.role_items(ROLES["vocals"], role_members("vocals")),
        *items.festival_alias_items("wacken-open-air", "wacken"),
        items.summary_item(schema.BANDS_PK, 3),
    ]
    for item in everything:
        data = item.serialize()
        assert {"PK", "SK", "kind", "body", "rev", "content_hash"} <= set(data)
        json.loads(item.body)
        assert len(item.content_hash) == 64
        # every key maps to a cache tag, but a search manifest's (publishing's own, it serves no answer)
        assert cachetags.for_items([item]) or item.SK == schema.SEARCH_MANIFEST


def test_content_hash_changes_with_content_only():
    a = items.band_items(BANDS["iron-maiden"], [], rev=1)[0]
    b = items.band_items(BANDS["iron-maiden"], [], rev=2)[0]
    changed = json.loads(json.dumps(BANDS["iron-maiden"]))
    changed["band"]["name"] = "Iron Maiden!"
    c = items.band_items(changed, [], rev=2)[0]
    assert a.content_hash == b.content_hash != c.content_hash


def test_band_row_counts_distinct_festivals_and_gsi3():
    built = _by_key(items.band_items(BANDS["iron-maiden"], band_festivals("iron-maiden")))
    row_item = built[("METADATA#BANDS", "BAND#iron-maiden")]
    row = json.loads(row_item.body)
    assert row["festivalCount"] == len({f["festivalKey"] for f in band_festivals("iron-maiden")})
    assert row["genreNames"] == ["Heavy Metal"]
    assert row_item.GSI3PK == "BANDS#REVIEWED" and row_item.GSI3SK == "BAND#iron-maiden"


def test_reviewed_summaries_are_in_gsi3():
    summary = items.summary_item(schema.BANDS_UNREVIEWED_PK, 4)
    assert (summary.GSI3PK, summary.GSI3SK, summary.count) == ("BANDS#UNREVIEWED", "#SUMMARY", 4)


def test_role_members_are_numbered_per_band():
    members = [
        {"bandKey": "a", "bandName": "A", "name": "x", "roleKeys": ["vocals"]},
        {"bandKey": "a", "bandName": "A", "name": "y", "roleKeys": ["vocals"]},
        {"bandKey": "b", "bandName": "B", "name": "z", "roleKeys": ["vocals"]},
    ]
    keys = {sk for _, sk in items.keys_of(items.role_items(ROLES["vocals"], members))}
    assert {"MEMBER#a#000", "MEMBER#a#001", "MEMBER#b#000"} <= keys


def test_builders_reject_incomplete_input():
    with pytest.raises(ValueError, match="missing"):
        items.festival_items({"festival": {"key": "x"}, "editions": []})
    with pytest.raises(ValueError, match="dates"):
        items.festival_items({"festival": {"key": "x", "name": "X"}, "editions": [{"year": 2020}]})


def test_oversized_body_is_refused():
    huge = {"band": {"key": "x", "name": "X", "description": "a" * 400_000}}
    with pytest.raises(ValueError, match="bytes"):
        items.band_items(huge, [])


def test_owned_partitions_cover_every_built_key():
    built = items.festival_items(FESTIVALS["wacken"])
    owned = items.owned_partitions("festival", "wacken")
    manifest = next(i for i in built if i.SK == schema.SEARCH_MANIFEST)
    for pk, sk in items.keys_of(built):
        # Search rows live in SEARCH#<prefix> partitions: the manifest, in an owned partition, names them.
        assert any(pk == opk and (osk is None or osk == sk) for opk, osk in owned) or \
            (pk, sk) in schema.parse_refs(manifest.refs), (pk, sk)


def test_cache_tags_for_written_items():
    tags = cachetags.for_items(items.festival_items(FESTIVALS["wacken"]))
    searched = {cachetags.search(p) for p in search.prefixes("Wacken Open Air")}
    assert searched == {"search:w", "search:wa", "search:o", "search:op", "search:a", "search:ai"}
    assert tags == {"festival:wacken", "festivals", "upcoming", "changes", *searched}  # a document: the feed gains an entry
    searched = {cachetags.search(p) for p in search.prefixes("Iron Maiden")}
    band = items.band_items(BANDS["iron-maiden"], [])
    assert cachetags.for_items(band) == {"band:iron-maiden", "bands", "changes", *searched}
    assert cachetags.for_items(band[1:]) == {"band:iron-maiden", "bands", *searched}
    assert cachetags.for_key("GENRE#x#BANDS", "BAND#y") == {"genre:x"}
    assert cachetags.for_key("METADATA#BANDS#REVIEWED", "#SUMMARY") == {"bands"}


@pytest.mark.dynamodb
def test_items_round_trip_through_the_table(dynamodb_table):
    built = items.festival_items(FESTIVALS["wacken"], rev=2)
    with Item.batch_write() as batch:
        for item in built:
            batch.save(item)
    stored = Item.get("FESTIVAL#wacken", "METADATA")
    assert isinstance(stored, schema.FestivalItem)
    assert stored.body == built[0].body and stored.rev == 2
    rows = list(Item.gsi1.query("UPCOMING"))
    assert {type(r) for r in rows} == {schema.UpcomingItem}


@pytest.mark.parametrize(("pk", "sk", "listing", "paths"), [
    ("FESTIVAL#wacken", "METADATA", None,
     {"/api/festivals/wacken", "/api/festivals/wacken/calendar.ics", "/api/changes"}),
    ("FESTIVAL#wacken", "UPCOMING#2026", None,
     {"/api/festivals/upcoming", "/api/festivals/upcoming.ics", "/api/festivals"}),
    ("FESTIVAL#wacken#EDITIONS", "#SUMMARY", None, {"/api/festivals/wacken/editions"}),
    ("FESTIVAL#wacken#EDITIONS", "EDITION#2026", None,
     {"/api/festivals/wacken/editions", "/api/festivals/wacken/editions/2026"}),
    ("FESTIVAL#old-key#EDITIONS", "~ALIAS", None, {"/api/festivals/old-key/editions", "/api/festivals/old-key/editions/*"}),
    ("METADATA#FESTIVALS", "FESTIVAL#wacken", None, {"/api/festivals"}),
    ("METADATA#FESTIVALS", "#SUMMARY", None, {"/api/festivals"}),
    ("BAND#metallica", "METADATA", None, {"/api/bands/metallica", "/api/changes"}),
    ("BAND#metallica#FESTIVALS", "FESTIVAL#wacken#2026", None,
     {"/api/bands/metallica/festivals", "/api/bands/metallica/calendar.ics"}),
    ("METADATA#BANDS", "BAND#metallica", "BANDS#REVIEWED", {"/api/bands", "/api/bands/reviewed"}),
    ("METADATA#BANDS", "BAND#metallica", "BANDS#UNREVIEWED", {"/api/bands", "/api/bands/unreviewed"}),
    ("METADATA#BANDS", "BAND#metallica", None, {"/api/bands"}),
    ("METADATA#BANDS#UNREVIEWED", "#SUMMARY", None, {"/api/bands/unreviewed"}),
    ("GENRE#thrash-metal", "METADATA", None, {"/api/genres/thrash-metal", "/api/changes"}),
    ("GENRE#thrash-metal#BANDS", "BAND#metallica", None, {"/api/genres/thrash-metal/bands", "/api/bands"}),
    ("METADATA#GENRES", "GENRE#thrash-metal", None, {"/api/genres"}),
    ("ROLE#vocals#MEMBERS", "MEMBER#metallica#000", None, {"/api/roles/vocals/members"}),
    ("METADATA#ROLES", "#SUMMARY", None, {"/api/roles"}),
])
def test_each_item_names_the_public_answers_it_serves(pk, sk, listing, paths):
    assert cachetags.answer_paths(pk, sk, listing) == paths


@pytest.mark.parametrize(("pk", "sk"), [("NOPE#x", "METADATA"), ("BAND#x#UNKNOWN", "#SUMMARY"), ("BAND#", "METADATA")])
def test_an_unknown_item_key_is_an_error_not_a_guess(pk, sk):
    with pytest.raises(ValueError, match="no public answer"):
        cachetags.answer_paths(pk, sk)


def test_empty_optional_text_is_null_in_every_body():
    """Issue 11.7: an empty description came back as "" while other empty fields were null: one rule."""
    festival = {"festival": {"key": "f", "name": "F", "location": "", "website": " ", "poster": None,
                             "description": ""},
                "editions": [{"year": 2030, "dates": {"start": "2030-01-01", "end": "2030-01-02"},
                              "bands": [{"key": "b", "name": "B", "size": None}], "currency": "", "status": "announced"}]}
    band = {"band": {"key": "b", "name": "B", "country": "", "description": "", "genreKeys": ["g"],
                     "members": [{"name": "M", "roleKeys": ["r"]}], "reviewed": True},
            "genres": [{"key": "g", "name": "G", "description": "  "}], "roles": [{"key": "r", "name": "R", "category": ""}]}
    built = items.festival_items(festival) + items.band_items(band, []) + items.genre_items(
        {"key": "g", "name": "G", "description": ""}, []) + items.role_items({"key": "r", "name": "R", "description": ""}, [])

    def strings(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)
        elif isinstance(node, str):
            yield node

    for item in built:
        assert all(text.strip() for text in strings(json.loads(item.body))), item.body
    detail = json.loads(built[0].body)
    assert detail["festival"]["description"] is None and detail["festival"]["website"] is None
    assert detail["editions"][0]["currency"] is None
    band_detail = json.loads(next(i for i in built if i.PK == "BAND#b" and i.SK == "METADATA").body)
    assert band_detail["band"]["description"] is None and band_detail["genres"][0]["description"] is None
    assert band_detail["band"]["genreKeys"] == ["g"]  # strings in arrays are data, kept as they are
    assert items.blank_to_null({"a": ["", "x"], "b": "", "c": "x"}) == {"a": ["", "x"], "b": None, "c": "x"}
