"""Incremental publishing against DynamoDB Local: exactly the items that embed a change, and nothing else."""

import json
import re

import pytest

from catalog import services
from catalog.models import Band, Festival
from publishing import services as publishing
from publishing.models import Invalidation, PublishTask, TaskStatus
from publishing.worker import drain
from read_api import schema, search
from tests import factories as f

from .scenarios import published_world

pytestmark = [pytest.mark.django_db, pytest.mark.dynamodb]


def drain_ok():
    report = drain()
    assert report.failed == 0, report.errors
    return report


def last_task():
    return PublishTask.objects.order_by("-id").first()


def edit(record, **fields):
    for name, value in fields.items():
        setattr(record, name, value)
    services.record_save(record=record, user=None)
    return f.approved(record)


def written_keys(task_pk, table_before, table_after):
    return {k for k in set(table_before) | set(table_after) if table_before.get(k) != table_after.get(k)}


def assert_table_is_what_republish_builds():
    report = publishing.republish(dry_run=True)
    assert (report.puts, report.deletes) == (0, 0), (report.put_keys, report.delete_keys)


def body(table, pk, sk):
    return json.loads(table[(pk, sk)]["body"]["S"])


def test_a_band_rename_rewrites_exactly_the_items_that_show_its_name(publish_table, table_dump):
    world = published_world()
    drain_ok()
    before = table_dump()
    edit(world.metallica, name="Metallica (US)")
    drain_ok()
    after = table_dump()
    changed = written_keys(None, before, after)
    # Its search rows move: every prefix of the old name's rows deleted, the new name's written, the manifest.
    count = body(after, "METADATA#BANDS", "BAND#metallica")["festivalCount"]
    rows = {name: {(schema.search_pk(p), search.rank_sk(p, name, count, "band", "metallica"))
                   for p in search.prefixes(name)} for name in ("Metallica", "Metallica (US)")}
    searched = {k for k in changed if k[0].startswith(schema.SEARCH_PREFIX) or k[1] == schema.SEARCH_MANIFEST}
    assert searched == rows["Metallica"] | rows["Metallica (US)"] | {("BAND#metallica", schema.SEARCH_MANIFEST)}
    assert changed - searched == {
        ("BAND#metallica", "METADATA"),
        ("METADATA#BANDS", "BAND#metallica"),
        ("GENRE#heavy-metal#BANDS", "BAND#metallica"),
        ("GENRE#thrash-metal#BANDS", "BAND#metallica"),
        ("ROLE#vocals#MEMBERS", "MEMBER#metallica#000"),
        ("ROLE#guitar#MEMBERS", "MEMBER#metallica#000"),
        ("FESTIVAL#hellfest", "METADATA"),
        ("FESTIVAL#hellfest#EDITIONS", "EDITION#2026"),
    }
    task = last_task()
    assert task.status == TaskStatus.DONE and task.items_written + task.items_deleted == len(changed)
    assert task.items_deleted == len(rows["Metallica"] - rows["Metallica (US)"])
    assert body(after, "FESTIVAL#hellfest#EDITIONS", "EDITION#2026")["bands"][0]["name"] == "Metallica (US)"
    assert task.invalidation_items == sorted([
        "#band:metallica", "#bands", "#changes", "#festival:hellfest", "#genre:heavy-metal", "#genre:thrash-metal",
        "#role:guitar", "#role:vocals", "#search:m", "#search:me", "#search:u", "#search:us",
    ])  # `changes`: two documents changed, so the change feed's latest page did too
    invalidation = Invalidation.objects.get(task=task)
    assert invalidation.items == task.invalidation_items
    # What people read in the admin: the public answers that changed, each list standing for all its pages.
    listing = "/api/bands/reviewed" if world.metallica.reviewed else "/api/bands/unreviewed"
    assert invalidation.changed_paths == task.changed_paths == sorted([
        "/api/bands", listing, "/api/bands/metallica",
        "/api/festivals/hellfest", "/api/festivals/hellfest/editions", "/api/festivals/hellfest/editions/2026",
        "/api/festivals/hellfest/calendar.ics",  # the lineup in its events' descriptions
        "/api/genres/heavy-metal/bands", "/api/genres/thrash-metal/bands",
        "/api/roles/guitar/members", "/api/roles/vocals/members", "/api/changes", "/api/search",
    ])
    assert_table_is_what_republish_builds()


def test_each_put_is_stamped_with_its_publish_time_and_unchanged_items_keep_theirs(publish_table, monkeypatch):
    """`published` (a calendar's DTSTAMP) is when an item's content last changed: the writer puts only changes."""
    from publishing import writer

    world = published_world()
    drain_ok()
    before = publish_table.dump()
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["published"]["S"]) for item in before.values())
    monkeypatch.setattr(writer, "published_now", lambda: "2099-01-02T03:04:05Z")
    edit(world.metallica, name="Metallica (US)")
    drain_ok()
    after = publish_table.dump()
    changed = {k for k, item in after.items() if k not in before or item["content_hash"] != before[k]["content_hash"]}
    assert ("BAND#metallica", "METADATA") in changed
    assert {after[k]["published"]["S"] for k in changed} == {"2099-01-02T03:04:05Z"}
    assert all(after[k]["published"] == before[k]["published"] for k in after.keys() - changed)


def test_an_unchanged_reapproval_writes_nothing(publish_table):
    world = published_world()
    drain_ok()
    Band.objects.filter(pk=world.maiden.pk).update(review_status="in_review")  # resubmitted, nothing changed
    services.record_approve(record=world.maiden, user=None)
    drain_ok()
    task = last_task()
    assert (task.items_written, task.items_deleted, task.invalidation_items) == (0, 0, [])
    assert not Invalidation.objects.filter(task=task).exists()


def test_a_band_key_rename_moves_its_items_and_relinks_lineups(publish_table, table_dump):
    world = published_world()
    drain_ok()
    services.record_rename_key(record=world.maiden, user=None, new_key="maiden")
    drain_ok()
    table = table_dump()
    assert not [k for k in table if "iron-maiden" in k[0] or "iron-maiden" in k[1]]
    assert ("BAND#maiden", "METADATA") in table
    lineup = body(table, "FESTIVAL#wacken#EDITIONS", "EDITION#2026")["bands"]
    assert lineup == [{"key": "maiden", "name": "Iron Maiden", "size": 0}]
    assert "#band:iron-maiden" in last_task().invalidation_items and "#band:maiden" in last_task().invalidation_items
    assert not [i for i in last_task().invalidation_items if not i.startswith("#")]  # 404s are tagged too
    assert_table_is_what_republish_builds()


def test_a_festival_rename_leaves_a_redirect_at_the_old_key(publish_table, table_dump):
    world = published_world()
    drain_ok()
    services.record_rename_key(record=world.hellfest, user=None, new_key="hellfest-open-air")
    drain_ok()
    table = table_dump()
    assert table[("FESTIVAL#hellfest", "METADATA")]["kind"]["S"] == "festival_alias"
    assert body(table, "FESTIVAL#hellfest", "METADATA") == {"festivalKey": "hellfest-open-air"}
    assert table[("FESTIVAL#hellfest#EDITIONS", "~ALIAS")]["kind"]["S"] == "festival_alias"
    assert ("FESTIVAL#hellfest#EDITIONS", "EDITION#2026") not in table
    assert ("FESTIVAL#hellfest", "UPCOMING#2026") not in table
    assert ("FESTIVAL#hellfest-open-air", "METADATA") in table
    rows = body(table, "BAND#metallica#FESTIVALS", "FESTIVAL#hellfest-open-air#2026")
    assert rows["festivalName"] == "Hellfest"
    assert ("BAND#metallica#FESTIVALS", "FESTIVAL#hellfest#2026") not in table
    assert_table_is_what_republish_builds()


def test_unpublishing_a_band_removes_it_everywhere_and_updates_counts(publish_table, table_dump):
    world = published_world()
    drain_ok()
    services.record_unpublish(record=world.metallica, user=None)
    drain_ok()
    table = table_dump()
    assert not [k for k in table if k[0].startswith("BAND#metallica") or k[1] == "BAND#metallica"]
    assert body(table, "METADATA#BANDS", "#SUMMARY") == {"count": 1}
    assert body(table, "GENRE#thrash-metal", "METADATA")["genre"]["bandCount"] == 0
    # the lineup still names the band by its key (a lineup entry always has one); the key answers 404 now
    assert body(table, "FESTIVAL#hellfest#EDITIONS", "EDITION#2026")["bands"][0] == {
        "key": "metallica", "name": "Metallica", "size": 0}
    assert_table_is_what_republish_builds()


def test_deleting_a_festival_removes_its_editions_and_the_bands_appearances(publish_table, table_dump):
    published_world()
    drain_ok()
    services.record_delete(record=Festival.objects.get(key="wacken"), user=None)
    drain_ok()
    table = table_dump()
    assert not [k for k in table if "wacken" in k[0] or "wacken" in k[1]]
    assert body(table, "BAND#iron-maiden#FESTIVALS", "#SUMMARY") == {"count": 1}
    assert body(table, "METADATA#BANDS", "BAND#iron-maiden")["festivalCount"] == 1
    assert_table_is_what_republish_builds()


def test_a_genre_key_rename_reaches_the_bands_that_show_it(publish_table, table_dump):
    world = published_world()
    drain_ok()
    services.record_rename_key(record=world.thrash, user=None, new_key="thrash")
    drain_ok()
    table = table_dump()
    detail = body(table, "BAND#metallica", "METADATA")
    assert detail["band"]["genreKeys"] == ["heavy-metal", "thrash"]
    assert [g["key"] for g in detail["genres"]] == ["heavy-metal", "thrash"]
    assert ("GENRE#thrash-metal", "METADATA") not in table and ("GENRE#thrash#BANDS", "BAND#metallica") in table
    assert_table_is_what_republish_builds()


def test_a_stale_task_never_overwrites_a_newer_item(publish_table):
    world = published_world()
    drain_ok()
    # A newer writer (higher lease token) has stored this item; an older one must leave it.
    newer = publish_table.dump()[("BAND#metallica", "METADATA")]
    newer = {**newer, "rev": {"N": "999999"}, "body": {"S": '{"band":{"name":"newer"}}'},
             "content_hash": {"S": "newer"}}
    publish_table.client.put_item(TableName=publish_table.table, Item=newer)
    edit(world.metallica, name="Older")
    drain_ok()
    stored = publish_table.dump()[("BAND#metallica", "METADATA")]
    assert stored["body"]["S"] == '{"band":{"name":"newer"}}'
    task = last_task()
    assert task.status == TaskStatus.DONE and task.items_written > 0  # the rest of its items were written


def test_the_condition_refuses_a_write_raced_by_a_newer_one(publish_table):
    """Between reading and writing, a newer writer stored the item: DynamoDB's condition refuses ours."""
    from read_api import items as builders

    writer = publish_table
    item = builders.genre_items({"key": "g", "name": "G"}, [], rev=5)[0]
    plan = writer.plan([item], {}, rev=5)
    newer = builders.genre_items({"key": "g", "name": "Newer"}, [], rev=9)[0]
    writer.client.put_item(TableName=writer.table, Item=newer.serialize())
    result = writer.write_conditional(plan, rev=5)
    assert result.written == [] and result.stale == [("GENRE#g", "METADATA")]
    assert json.loads(writer.dump()[("GENRE#g", "METADATA")]["body"]["S"])["genre"]["name"] == "Newer"


def test_publish_on_commit_shows_an_approval_at_once(publish_table, settings, django_capture_on_commit_callbacks):
    settings.PUBLISH_ON_COMMIT = True
    with django_capture_on_commit_callbacks(execute=True):
        band = f.approved(f.band("sabaton", "Sabaton"))
    assert ("BAND#sabaton", "METADATA") in publish_table.dump()
    assert PublishTask.objects.get(record_pk=band.pk).status == TaskStatus.DONE
    assert Band.objects.get(pk=band.pk).published_revision == 1


def test_one_transaction_of_many_tasks_drains_once_after_commit(settings, django_capture_on_commit_callbacks):
    from django.db import transaction

    from publishing.outbox import drain_after_commit

    settings.PUBLISH_ON_COMMIT = True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            for n in range(5):
                f.approved(f.genre(f"genre-{n}", f"Genre {n}"))
    assert PublishTask.objects.count() == 5
    assert [c for c in callbacks if c is drain_after_commit] == [drain_after_commit]


def test_removing_a_former_key_in_the_admin_removes_its_redirect(publish_table, table_dump):
    from catalog.models import FestivalAlias

    world = published_world()
    services.record_rename_key(record=world.hellfest, user=None, new_key="hellfest-open-air")
    drain_ok()
    assert ("FESTIVAL#hellfest", "METADATA") in table_dump()
    FestivalAlias.objects.get(key="hellfest").delete()
    assert last_task().change == "alias"
    drain_ok()
    assert ("FESTIVAL#hellfest", "METADATA") not in table_dump()
    assert "#festival:hellfest" in last_task().invalidation_items
    assert_table_is_what_republish_builds()


def test_a_bulk_of_tasks_is_applied_by_one_rebuild(publish_table, settings, table_dump):
    settings.PUBLISH_BULK_THRESHOLD = 5
    published_world()  # ten approvals: ten tasks
    report = drain_ok()
    assert report.applied == 10
    assert set(PublishTask.objects.values_list("status", flat=True)) == {TaskStatus.DONE}
    assert Invalidation.objects.count() == 1  # one CreateInvalidation for the whole bulk
    assert "#band:metallica" in Invalidation.objects.get().items
    assert_table_is_what_republish_builds()
    assert ("FESTIVAL#hellfest#EDITIONS", "EDITION#2026") in table_dump()
