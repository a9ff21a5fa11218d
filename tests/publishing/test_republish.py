"""`republish` rebuilds the table from the database alone; `ensure_table` creates it; `publish_pending` drains."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from publishing.models import Invalidation, PublishTask, TaskStatus
from publishing.projector import PublicCatalog
from publishing.services import republish
from publishing.writer import WriteFailed, Writer
from tests import factories

from .scenarios import published_world

pytestmark = [pytest.mark.django_db, pytest.mark.dynamodb]


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def test_republish_writes_then_second_run_writes_nothing(publish_table, table_dump):
    published_world()
    catalog = PublicCatalog()
    expected = {(i.PK, i.SK) for i in catalog.items_for(catalog.all_entities(), rev=0)}

    dry = run("republish", "--dry-run")
    assert f"{len(expected)} public items from the database; 0 in the table; would write {len(expected)}" in dry
    assert publish_table.dump() == {}

    first = run("republish")
    assert f"wrote {len(expected)}, deleted 0" in first and "records" not in first  # no progress off a terminal
    assert set(table_dump()) == expected
    assert Invalidation.objects.count() == 1

    second = run("republish")
    assert f"wrote 0, deleted 0, unchanged {len(expected)}" in second
    assert Invalidation.objects.count() == 1  # nothing changed, nothing invalidated


class FailingWriter(Writer):
    """A real writer whose third transaction fails, as DynamoDB refusing mid-republish would."""

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.lock = threading.Lock()

    def write_fenced(self, operations, **kwargs):
        with self.lock:
            self.calls += 1
            failing = self.calls == 3
        if failing:
            raise WriteFailed("TransactWriteItems kept failing")
        return super().write_fenced(operations, **kwargs)


def test_a_write_failing_in_any_stream_fails_the_republish_and_the_next_run_repairs(publish_table, table_dump, settings,
                                                                                   monkeypatch):
    published_world()
    monkeypatch.setattr("publishing.writer.TRANSACT_MAX", 26)  # 25 writes a transaction: several per stream
    for n in range(60):  # enough items for several batches in every stream
        factories.approved(factories.band(f"band-{n:02d}", f"Band {n:02d}"))
    settings.PUBLISH_WRITE_STREAMS = 3
    with pytest.raises(WriteFailed):
        republish(writer=FailingWriter())
    assert not Invalidation.objects.exists()  # nothing is invalidated for a republish that failed
    catalog = PublicCatalog()
    expected = {(i.PK, i.SK) for i in catalog.items_for(catalog.all_entities(), rev=0)}
    assert set(table_dump()) < expected  # part was written

    report = republish()
    assert report.puts == len(expected) - report.unchanged and report.deletes == 0
    assert set(table_dump()) == expected
    assert "would write 0, would delete 0" in run("republish", "--dry-run")


def test_a_full_republish_sends_one_wildcard_not_an_item_per_tag(publish_table, settings):
    settings.PUBLISH_INVALIDATION_WILDCARD_AFTER = 5
    published_world()
    run("republish")
    assert [i.items for i in Invalidation.objects.all()] == [["/api/*"]]


def test_republish_deletes_what_is_no_longer_published_and_repairs_drift(publish_table, table_dump):
    world = published_world()
    run("republish")
    client, table = publish_table.client, publish_table.table
    client.put_item(TableName=table, Item={"PK": {"S": "BAND#ghost"}, "SK": {"S": "METADATA"}, "kind": {"S": "band"},
                                           "body": {"S": "{}"}, "rev": {"N": "1"}, "content_hash": {"S": "x"}})
    client.update_item(TableName=table, Key={"PK": {"S": "BAND#metallica"}, "SK": {"S": "METADATA"}},
                       UpdateExpression="SET body = :b, content_hash = :h",
                       ExpressionAttributeValues={":b": {"S": "{}"}, ":h": {"S": "tampered"}})
    client.delete_item(TableName=table, Key={"PK": {"S": "GENRE#heavy-metal"}, "SK": {"S": "METADATA"}})

    dry = run("republish", "--dry-run")
    assert "would write 2, would delete 1" in dry
    assert "delete BAND#ghost / METADATA" in dry and "put    BAND#metallica / METADATA" in dry

    run("republish")
    assert ("BAND#ghost", "METADATA") not in table_dump()
    assert "would write 0, would delete 0" in run("republish", "--dry-run")
    assert world.metallica.name in table_dump()[("BAND#metallica", "METADATA")]["body"]["S"]


def test_ensure_table_creates_the_table_once(dynamodb_local, monkeypatch):
    from read_api import config, table

    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local.endpoint)
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", "EnsureTableTest")
    monkeypatch.setenv("DYNAMODB_READ_TIMEOUT_SECONDS", "30")
    try:
        assert run("ensure_table").startswith("created table EnsureTableTest")
        assert run("ensure_table").startswith("exists: table EnsureTableTest")
        indexes = {i["IndexName"] for i in table.describe()["GlobalSecondaryIndexes"]}
        assert indexes == {"GSI1", "GSI2", "GSI3", "GSI4"}
    finally:
        table.delete()
        monkeypatch.undo()
        config.reload()


def test_publish_pending_drains_and_fails_loudly(publish_table, monkeypatch):
    published_world()
    assert "applied 10, failed 0" in run("publish_pending")
    assert not PublishTask.objects.exclude(status=TaskStatus.DONE).exists()

    PublishTask.objects.create(kind="band", record_pk=10**6, record_key="x", change="publish")
    monkeypatch.setattr("publishing.services.ScopedCatalog", lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(CommandError, match="1 task"):
        run("publish_pending")
    assert PublishTask.objects.get(record_pk=10**6).last_error.startswith("RuntimeError: boom")


def test_items_are_serialised_as_pynamodb_serialises_them():
    from publishing.writer import serialise

    published_world()
    catalog = PublicCatalog()
    built = catalog.items_for(catalog.all_entities(), rev=7)
    assert built and all(serialise(item) == item.serialize() for item in built)
    assert {type(item).__name__ for item in built} >= {"FestivalRowItem", "BandRowItem", "RoleMemberItem"}


def test_the_table_is_scanned_in_parallel_segments_as_one_scan_would(publish_table, monkeypatch):
    """A rebuild reads the table's keys and hashes as parallel scan segments, a thread each: the same
    rows as one sequential scan, an error in any segment raised, a reader that stops early leaving
    no thread behind."""
    from botocore.exceptions import ClientError

    from publishing import writer

    published_world()
    for n in range(40):
        factories.approved(factories.band(f"band-{n:02d}", f"Band {n:02d}"))
    republish()
    monkeypatch.setattr(writer, "_PROJECTION", {**writer._PROJECTION, "Limit": 20})  # pages of 20: several a segment

    def rows(pages):
        found = [row for page in pages for row in page]
        assert len(found) == len(dict(found))  # every row once
        return dict(found)

    whole = rows(publish_table.scan_pages(segments=1))
    assert len(whole) > 200 and len(list(publish_table.scan_pages(segments=4))) > 8
    assert rows(publish_table.scan_pages(segments=4)) == whole

    pages = publish_table.scan_pages(segments=4)
    next(pages)
    pages.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("scan-")]

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        rows(Writer(table="NoSuchTable").scan_pages(segments=3))
    assert not [t for t in threading.enumerate() if t.name.startswith("scan-")]
