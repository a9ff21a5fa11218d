"""The fence: a republish or bulk drain that outlives its lease never writes after a newer holder.

Two workers against DynamoDB Local, each in its own thread and database connection. Worker A's
write of one item is held in flight (a request delayed on the network, or a worker frozen
mid-publish) until its one-second lease has lapsed and worker B has published a newer approval
of that record; then A's request is let through. The public item must stay B's.
"""

import re
import threading

import pytest
from django.db import connection

from catalog import services as catalog_services
from publishing import writer as writer_module
from publishing.models import PublishTask, TaskStatus
from publishing.services import republish
from publishing.worker import drain
from publishing.writer import Fenced, Writer
from tests import factories as f

from .scenarios import published_world
from .test_reliability import expected_table, strip_rev

pytestmark = [pytest.mark.dynamodb, pytest.mark.slow]

HELD_KEY = {"PK": {"S": "BAND#metallica"}, "SK": {"S": "METADATA"}}


class DelayedClient:
    """A real DynamoDB client whose first write naming HELD_KEY waits in flight until released."""

    def __init__(self, client):
        self._client = client
        self.held = threading.Event()
        self.release = threading.Event()
        self.armed = True

    def __getattr__(self, name):
        return getattr(self._client, name)

    def _hold_if_named(self, payload) -> None:
        if self.armed and HELD_KEY["PK"] in [v for v in _walk(payload)]:
            self.armed = False
            self.held.set()
            assert self.release.wait(60), "the test never released the held write"

    def batch_write_item(self, **kwargs):
        self._hold_if_named(kwargs)
        return self._client.batch_write_item(**kwargs)

    def transact_write_items(self, **kwargs):
        self._hold_if_named(kwargs)
        return self._client.transact_write_items(**kwargs)


def _walk(value):
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def _in_thread(target, outcome: dict) -> threading.Thread:
    def run():
        try:
            outcome["result"] = target()
        except Exception as exc:  # examined by the test
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="worker-a")
    thread.start()
    return thread


def _metallica_body(table: Writer) -> str:
    return table.dump()[("BAND#metallica", "METADATA")]["body"]["S"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("job", ["republish", "bulk drain"])
def test_a_job_outliving_its_lease_never_overwrites_a_newer_holder(job, publish_table, settings, monkeypatch):
    settings.PUBLISH_LEASE_SECONDS = 1.0
    settings.PUBLISH_BULK_THRESHOLD = 3
    world = published_world()  # ten approvals queued: a bulk for the drain
    delayed = DelayedClient(publish_table.client)
    real_client = writer_module.dynamodb_client
    # Worker A (its own thread) writes through the delayed client; B, in the test's thread, directly.
    monkeypatch.setattr(writer_module, "dynamodb_client",
                        lambda: delayed if threading.current_thread().name == "worker-a" else real_client())
    outcome: dict = {}
    if job == "republish":
        PublishTask.objects.update(status=TaskStatus.DONE)
        thread = _in_thread(lambda: republish(writer=Writer(client=delayed, table=publish_table.table)), outcome)
    else:
        thread = _in_thread(lambda: drain(worker_id="worker-a"), outcome)
    assert delayed.held.wait(60), "worker A never wrote the band"

    # Meanwhile an editor renames the band and it is approved; worker B publishes it once A's lease lapses.
    world.metallica.name = "Metallica (approved while A was away)"
    catalog_services.record_save(record=world.metallica, user=None)
    f.approved(world.metallica)
    report_b = drain(worker_id="worker-b", wait_for_lease=10)
    assert report_b.failed == 0 and report_b.applied >= 1, report_b
    assert "approved while A was away" in _metallica_body(publish_table)

    delayed.release.set()  # A's write arrives after B's
    thread.join(60)
    assert "approved while A was away" in _metallica_body(publish_table), "a fenced-off worker overwrote a newer write"
    expected, stored = expected_table(), strip_rev(publish_table.dump())
    assert {k: v for k, v in stored.items() if expected.get(k) != v} == {}  # nothing stale, nothing extra
    if job == "republish":
        assert isinstance(outcome.get("error"), Fenced), outcome
    else:
        assert outcome["result"].failed >= 1 and re.search(r"Fence(d|Ahead)", " ".join(outcome["result"].errors)), outcome
        # every task is done: the ones A claimed were taken over by B (A's failure did not touch them)
        assert not PublishTask.objects.exclude(status=TaskStatus.DONE).exists()


@pytest.mark.django_db(transaction=True)
def test_a_task_outliving_its_lease_never_brings_back_what_a_newer_holder_deleted(publish_table, settings,
                                                                                   monkeypatch):
    """The per-item `rev` condition alone lets a late put recreate a deleted item; the fence does not."""
    settings.PUBLISH_LEASE_SECONDS = 1.0
    world = published_world()
    assert drain().failed == 0
    delayed = DelayedClient(publish_table.client)
    real_client = writer_module.dynamodb_client
    monkeypatch.setattr(writer_module, "dynamodb_client",
                        lambda: delayed if threading.current_thread().name == "worker-a" else real_client())
    world.metallica.name = "Metallica (renamed, then unpublished)"
    catalog_services.record_save(record=world.metallica, user=None)
    f.approved(world.metallica)
    outcome: dict = {}
    thread = _in_thread(lambda: drain(worker_id="worker-a"), outcome)
    assert delayed.held.wait(60), "worker A never wrote the band"

    catalog_services.record_unpublish(record=world.metallica, user=None)
    assert drain(worker_id="worker-b", wait_for_lease=10).failed == 0
    assert ("BAND#metallica", "METADATA") not in publish_table.dump()

    delayed.release.set()
    thread.join(60)
    assert ("BAND#metallica", "METADATA") not in publish_table.dump(), "a late write brought an unpublished band back"
    assert strip_rev(publish_table.dump()) == expected_table()
    assert re.search(r"Fence(d|Ahead)", " ".join(outcome["result"].errors)), outcome


class SlowClient(DelayedClient):
    """A real client whose writes each take a third of a second longer (a slow network)."""

    def _hold_if_named(self, payload) -> None:
        import time

        time.sleep(0.3)


@pytest.mark.django_db
def test_a_republish_renews_its_lease_while_it_works(publish_table, settings, monkeypatch):
    """A republish slower than its lease keeps it: no other worker can take over meanwhile."""
    import time

    from publishing import worker
    from publishing.models import DrainLease
    from publishing.projector import PublicCatalog

    settings.PUBLISH_LEASE_SECONDS = 0.4
    published_world()
    PublishTask.objects.update(status=TaskStatus.DONE)
    expected = expected_table()
    projected = PublicCatalog.entity_items
    taken = []

    def projected_slowly(self, entity, *, rev):
        time.sleep(0.15)
        taken.append(worker.lease_acquire("intruder") is not None)
        return projected(self, entity, rev=rev)

    monkeypatch.setattr(PublicCatalog, "entity_items", projected_slowly)
    started = time.monotonic()
    report = republish(writer=Writer(client=SlowClient(publish_table.client), table=publish_table.table))
    assert time.monotonic() - started > 3 * settings.PUBLISH_LEASE_SECONDS
    assert report.puts == len(expected) and taken and not any(taken)
    assert DrainLease.objects.get().holder == ""  # released at the end


@pytest.mark.django_db
def test_a_worker_behind_the_fence_writes_nothing(publish_table):
    from publishing.services import task_apply

    world = published_world()
    assert drain().failed == 0
    fence = publish_table.fence_token()
    publish_table.ensure_fence(fence + 5)  # a newer holder came and went
    before = publish_table.dump()
    stale = Writer(table=publish_table.table)
    with pytest.raises(Fenced):  # not even a delete
        stale.write_conditional(Writer.plan([], {("BAND#metallica", "METADATA"): writer_module.Stored("x", 0)}),
                                rev=fence)
    world.metallica.name = "Metallica (too late)"
    catalog_services.record_save(record=world.metallica, user=None)
    f.approved(world.metallica)
    with pytest.raises(Fenced):
        task_apply(PublishTask.objects.order_by("-id").first(), token=fence)
    assert publish_table.dump() == before


@pytest.mark.django_db
def test_a_fence_the_table_lost_is_raised_again_by_its_holder(publish_table):
    """This process remembers raising the fence; if the table lost it (emptied, recreated), the holder raises it
    again instead of taking its own missing fence for a newer holder's."""
    published_world()
    assert drain().failed == 0
    token = publish_table.fence_token()
    client = publish_table.client
    for shard in range(writer_module.FENCE_SHARDS):
        client.delete_item(TableName=publish_table.table, Key=writer_module._fence_key(shard))
    assert publish_table.fence_token() is None
    item_key = ("BAND#metallica", "METADATA")
    publish_table.write_conditional(Writer.plan([], {item_key: writer_module.Stored("x", 0)}), rev=token)
    assert item_key not in publish_table.dump() and publish_table.fence_token() == token
