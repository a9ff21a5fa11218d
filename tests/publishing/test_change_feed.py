"""The change feed (issue 15.3): what publishing appends, and what /api/changes serves of it."""

import json

import hypothesis
import pytest
from hypothesis import strategies as st

from catalog import services
from catalog.models import Band, Festival
from publishing.services import republish
from publishing.worker import drain
from read_api import feed, queries
from tests import factories as f

from .cdn_emulator import origin
from .feed_client import apply, crawl, cursor_now, follow, get
from .scenarios import published_world
from .test_completeness import EDITS

pytestmark = [pytest.mark.django_db, pytest.mark.dynamodb]


@pytest.fixture
def world(clock):
    start = cursor_now()
    world = published_world()
    assert drain().failed == 0
    return world, start


def actions(entries) -> list[tuple[str, str]]:
    return [(entry["action"], entry["path"]) for entry in entries]


def test_a_first_publish_reports_every_document_with_its_body(world):
    _, start = world
    entries, _ = follow(start)
    assert {path for _, path in actions(entries)} == set(crawl())
    assert all(action == feed.UPSERT for action, _ in actions(entries))
    for entry in entries:  # the document is the detail answer itself
        assert get(entry["path"]) == (200, entry["document"]), entry["path"]
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)


def test_a_change_reports_the_documents_that_changed_only(world, publish_table):
    _, start = world
    _, cursor = follow(start)
    band = Band.objects.get(key="metallica")
    band.name = "Metallica!"
    services.record_save(record=band, user=None)
    f.approved(band)
    assert drain().failed == 0
    entries, _ = follow(cursor)
    # The band, and the festival whose lineup shows its name; nothing else changed.
    assert sorted(actions(entries)) == [("upsert", "/api/bands/metallica"), ("upsert", "/api/festivals/hellfest")]
    band_entry = next(e for e in entries if e["path"] == "/api/bands/metallica")
    assert band_entry["document"]["band"]["name"] == "Metallica!"


def test_unpublish_and_delete_are_tombstones(world):
    _, start = world
    _, cursor = follow(start)
    services.record_unpublish(record=Band.objects.get(key="metallica"), user=None)
    services.record_delete(record=Festival.objects.get(key="wacken"), user=None)
    assert drain().failed == 0
    entries, _ = follow(cursor)
    assert ("delete", "/api/bands/metallica") in actions(entries)
    assert ("delete", "/api/festivals/wacken") in actions(entries)
    copy = apply({"/api/bands/metallica": {}, "/api/festivals/wacken": {}}, entries)
    assert "/api/bands/metallica" not in copy and "/api/festivals/wacken" not in copy


def test_renamed_keys_are_moves(world):
    _, start = world
    _, cursor = follow(start)
    services.record_rename_key(record=Festival.objects.get(key="wacken"), user=None, new_key="wacken-open-air")
    assert drain().failed == 0
    services.record_rename_key(record=Band.objects.get(key="metallica"), user=None, new_key="metallica-band")
    assert drain().failed == 0
    entries, _ = follow(cursor)
    moves = {e["path"]: e for e in entries if e["action"] == feed.MOVE}
    assert moves["/api/festivals/wacken"]["to"] == "wacken-open-air"
    assert moves["/api/festivals/wacken"]["location"] == "/api/festivals/wacken-open-air"
    assert moves["/api/bands/metallica"]["to"] == "metallica-band"
    assert ("upsert", "/api/festivals/wacken-open-air") in actions(entries)
    assert ("upsert", "/api/bands/metallica-band") in actions(entries)


def test_a_republish_that_changes_nothing_appends_nothing(world, publish_table):
    _, start = world
    _, cursor = follow(start)
    before = len(publish_table.changes())
    report = republish()
    assert report.puts == 0 and report.deletes == 0
    assert len(publish_table.changes()) == before
    assert follow(cursor)[0] == []


def test_a_republish_after_the_table_lost_a_document_reports_it(world, publish_table):
    _, start = world
    _, cursor = follow(start)
    publish_table.client.delete_item(TableName=publish_table.table,
                                     Key={"PK": {"S": "BAND#metallica"}, "SK": {"S": "METADATA"}})
    republish()
    entries, _ = follow(cursor)
    assert actions(entries) == [("upsert", "/api/bands/metallica")]


def test_pages_follow_one_another_each_from_one_request(world):
    _, start = world
    everything, _ = follow(start)
    since, seen, requests = start, [], []
    while True:
        status, headers, body = origin(f"/api/changes?since={since}&limit=3")
        requests.append(queries.stats.requests)
        answer = json.loads(body)
        seen += answer["changes"]
        since = answer["nextCursor"]
        if answer["more"]:  # a full page never changes: cached long, without the tag publishing clears
            assert headers["Cache-Control"].startswith("public, max-age=86400") and "Cache-Tag" not in headers
            assert len(answer["changes"]) == 3
        else:
            assert headers["Cache-Control"].startswith("public, max-age=30") and headers["Cache-Tag"] == "changes"
            break
    assert seen == everything and len(everything) > 6
    assert set(requests) == {1}


def test_the_cursor_for_now_reads_nothing_and_skips_nothing(world):
    cursor = cursor_now()
    assert queries.stats.requests == 0
    assert follow(cursor)[0] == []
    band = Band.objects.get(key="iron-maiden")
    band.name = "Iron Maiden (UK)"
    services.record_save(record=band, user=None)
    f.approved(band)
    drain()
    assert ("upsert", "/api/bands/iron-maiden") in actions(follow(cursor)[0])


def test_entries_inside_the_settle_window_wait(world, monkeypatch):
    import dataclasses

    from read_api import config

    _, start = world
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, changes_settle_seconds=3600))
    status, answer = get(f"/api/changes?since={start}")
    assert answer["changes"] == [] and answer["more"] is False
    assert answer["nextCursor"] == start  # the position stays before what has not settled
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, changes_settle_seconds=0))
    assert len(follow(answer["nextCursor"])[0]) > 0


@pytest.mark.parametrize("since", ["nonsense", "eyJhIjoiMTIzIn0.AAAAAAAAAAAAAAAAAAAAAA", ""])
def test_a_cursor_that_is_not_ours_is_400(world, since):
    status, answer = get(f"/api/changes?since={since}")
    assert status == 400 and answer["error"]["details"]["parameter"] == "since"


def test_a_cursor_of_another_list_is_400(world):
    _, answer = get("/api/bands?limit=1")
    status, refused = get(f"/api/changes?since={answer['nextCursor']}")
    assert status == 400 and refused["error"]["details"]["parameter"] == "since"


def test_a_cursor_older_than_the_retention_is_410(world, clock):
    _, start = world
    assert get(f"/api/changes?since={start}")[0] == 200
    clock.skip(feed.RETENTION_DAYS * feed.DAY_MS)
    status, answer = get(f"/api/changes?since={start}")
    assert status == 410 and answer["error"]["code"] == "CURSOR_EXPIRED"
    assert queries.stats.requests == 0


def test_entries_expire_after_the_promise(world, publish_table):
    entries = publish_table.changes()
    assert entries
    for entry in entries:
        stamped = feed.position_ms(entry["SK"]["S"]) // 1000
        assert int(entry[feed.TTL_ATTRIBUTE]["N"]) - stamped == feed.TTL_DAYS * 86_400 > feed.RETENTION_DAYS * 86_400


def test_a_stale_write_takes_its_entry_with_it(world, publish_table):
    """A document write refused by its rev condition appends no entry."""
    from publishing.writer import Plan
    from read_api import items as builders

    before = len(publish_table.changes())
    token = publish_table.fence_token()
    publish_table.client.update_item(  # a newer publish stored the genre
        TableName=publish_table.table, Key={"PK": {"S": "GENRE#heavy-metal"}, "SK": {"S": "METADATA"}},
        UpdateExpression="SET #rev = :rev", ExpressionAttributeNames={"#rev": "rev"},
        ExpressionAttributeValues={":rev": {"N": str(token + 5)}})
    item = builders.genre_items({"key": "heavy-metal", "name": "Old", "description": None}, [], rev=token)[0]
    result = publish_table.write_conditional(Plan(puts=[item]), rev=token)
    assert result.stale == [("GENRE#heavy-metal", "METADATA")] and result.entries == 0
    assert len(publish_table.changes()) == before


# --- the property: a copy kept by the feed equals a fresh crawl, whatever was edited -------------
@pytest.fixture
def follower(clock, settings):
    """A fan's app: took a cursor, crawled the published world; (copy, cursor) carried from example to example."""
    settings.PUBLISH_CDN_BACKEND = "publishing.cdn.RecordingBackend"
    cursor = cursor_now()
    published_world()
    assert drain().failed == 0
    return {"copy": crawl(), "cursor": cursor}


@hypothesis.settings(max_examples=12, deadline=None,
                     suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
@hypothesis.given(steps=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 7)), min_size=1, max_size=4),
                  limit=st.sampled_from([1, 3, 100]))
def test_a_copy_that_follows_the_feed_equals_a_fresh_crawl(follower, steps, limit):
    for edit, index in steps:
        edit(index)
        report = drain()
        assert report.failed == 0, report.errors
    entries, follower["cursor"] = follow(follower["cursor"], limit=limit)
    apply(follower["copy"], entries)
    assert follower["copy"] == crawl(), [f"{edit.__name__}({index})" for edit, index in steps]


def test_an_entry_never_leaves_its_document_s_transaction():
    from publishing import feed as writing
    from publishing.writer import TRANSACT_MAX, put_operation, transaction_chunks
    from read_api import items as builders

    rows = [put_operation("T", {"PK": {"S": "METADATA#GENRES"}, "SK": {"S": f"GENRE#g{n}"}}) for n in range(98)]
    genre = builders.genre_items({"key": "doom", "name": "Doom", "description": None}, [], rev=1)[0]
    operations = writing.with_entries([*rows, put_operation("T", genre.serialize())])
    assert [op[0] for op in operations[-2:]] == ["put", writing.CHANGE]
    chunks = list(transaction_chunks(operations))
    assert [len(c) for c in chunks] == [98, 2] and all(len(c) <= TRANSACT_MAX - 1 for c in chunks)
    assert chunks[1][0][1] == chunks[1][1][1] == ("GENRE#doom", "METADATA")
