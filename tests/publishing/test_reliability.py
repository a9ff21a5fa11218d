"""Reliability against real DynamoDB Local: outages mid-publish, CloudFront refusing, two workers at once.

The outage test runs its own DynamoDB Local with a database file (the session's
instance is in memory: restarting it would lose the table), stops it between two
transactions of one publish, and starts it again.
"""

import time

import boto3
import pytest
from django.utils import timezone
from moto import mock_aws

from devtools.dynamodb_local import DynamoDBLocal
from publishing import services as publishing
from publishing import writer as writer_module
from publishing.models import Invalidation, PublishTask, TaskStatus
from publishing.projector import PublicCatalog
from publishing.worker import drain
from publishing.writer import Writer

from .concurrency import drain_in_parallel
from .scenarios import published_world
from .test_cdn import make_distribution

pytestmark = [pytest.mark.dynamodb, pytest.mark.slow]


def strip_rev(items: dict) -> dict:
    """Items without `rev` and `published` (which worker wrote an item, and when): what equal tables share."""
    return {k: {a: v for a, v in item.items() if a not in ("rev", "published")} for k, item in items.items()}


def expected_table() -> dict:
    """What a fresh republish produces, as a dump (rev aside: it records which worker wrote an item)."""
    catalog = PublicCatalog()
    return strip_rev({(i.PK, i.SK): i.serialize() for i in catalog.items_for(catalog.all_entities(), rev=0)})


def make_due():
    PublishTask.objects.filter(status=TaskStatus.FAILED).update(next_attempt_at=timezone.now())


@pytest.fixture
def own_dynamodb(tmp_path, monkeypatch):
    from read_api import config, table

    server = DynamoDBLocal(db_path=tmp_path / "dynamodb").start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", "ReliabilityTest")
    monkeypatch.setenv("DYNAMODB_READ_TIMEOUT_SECONDS", "30")
    config.reload()
    table.create()
    try:
        yield server
    finally:
        server.stop()
        monkeypatch.undo()
        config.reload()


@pytest.mark.django_db
def test_dynamodb_stopping_mid_publish_keeps_the_task_and_the_retry_completes_it(own_dynamodb, monkeypatch):
    world = published_world()
    assert drain().failed == 0
    monkeypatch.setattr(writer_module, "TRANSACT_MAX", 3)  # several transactions per publish
    calls = {"n": 0}
    original = Writer.write_conditional

    def stop_after_first_transaction(self, plan, *, rev):
        real = self.client.transact_write_items

        def transact(**kwargs):
            calls["n"] += 1
            if calls["n"] == 3:  # the first raises the lease's fence, the second writes
                own_dynamodb.stop()  # DynamoDB goes away between two transactions of one publish
            return real(**kwargs)

        monkeypatch.setattr(self.client, "transact_write_items", transact)
        try:
            return original(self, plan, rev=rev)
        finally:
            monkeypatch.setattr(self.client, "transact_write_items", real)

    monkeypatch.setattr(Writer, "write_conditional", stop_after_first_transaction)
    world.metallica.name = "Metallica (renamed during an outage)"
    from catalog import services
    from tests import factories as f

    services.record_save(record=world.metallica, user=None)
    f.approved(world.metallica)
    report = drain()
    task = PublishTask.objects.order_by("-id").first()
    assert report.failed == 1 and task.status == TaskStatus.FAILED and task.attempts == 1
    assert "Could not connect" in task.last_error or "Connect" in task.last_error, task.last_error
    assert calls["n"] == 3  # the first transaction went through: the table is half-written

    own_dynamodb.start()
    monkeypatch.setattr(Writer, "write_conditional", original)
    make_due()
    assert drain().failed == 0
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.attempts == 2
    assert strip_rev(Writer().dump()) == expected_table()
    # what the first attempt wrote is invalidated too: the items were saved on the task before writing
    assert {"#band:metallica", "#festival:hellfest", "#genre:heavy-metal"} <= set(
        Invalidation.objects.get(task=task).items)


@pytest.mark.django_db
def test_a_cloudfront_refusal_keeps_the_task_and_the_retry_sends_the_invalidation(publish_table, settings, monkeypatch):
    from moto.cloudfront.exceptions import CloudFrontException
    from moto.cloudfront.models import CloudFrontBackend

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    world = published_world()
    with mock_aws():
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        settings.CLOUDFRONT_DISTRIBUTION_ID = distribution = make_distribution(cloudfront)
        assert drain().failed == 0  # DynamoDB Local is not intercepted by moto (custom endpoint)
        assert len(publish_table.dump()) > 0
        original = CloudFrontBackend.create_invalidation

        def refuse(self, dist_id, paths, caller_ref):
            raise CloudFrontException("TooManyInvalidationsInProgress", "Too many invalidations in progress.")

        monkeypatch.setattr(CloudFrontBackend, "create_invalidation", refuse)
        from catalog import services
        from tests import factories as f

        world.maiden.name = "Iron Maiden (CloudFront busy)"
        services.record_save(record=world.maiden, user=None)
        f.approved(world.maiden)
        before = len(cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", []))
        assert drain().failed == 1
        task = PublishTask.objects.order_by("-id").first()
        assert task.status == TaskStatus.FAILED and "TooManyInvalidationsInProgress" in task.last_error
        assert "#band:iron-maiden" in task.invalidation_items

        monkeypatch.setattr(CloudFrontBackend, "create_invalidation", original)
        make_due()
        assert drain().failed == 0
        task.refresh_from_db()
        assert task.status == TaskStatus.DONE and task.attempts == 2
        listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
        assert len(listed) == before + 1
        sent = cloudfront.get_invalidation(DistributionId=distribution, Id=listed[-1]["Id"])["Invalidation"]
        assert sorted(sent["InvalidationBatch"]["Paths"]["Items"]) == task.invalidation_items
        assert strip_rev(publish_table.dump()) == expected_table()


@pytest.mark.django_db(transaction=True)
def test_two_workers_publishing_at_once_leave_the_table_republish_would_build(publish_table):
    world = published_world()
    from catalog import services
    from tests import factories as f

    for n in range(6):
        band = [world.maiden, world.metallica][n % 2]
        band.name = f"{band.key} take {n}"
        services.record_save(record=band, user=None)
        f.approved(band)
    applied = []
    original = publishing.task_apply

    def recording_apply(task, *, token, writer=None):
        applied.append(task.pk)
        time.sleep(0.01)
        return original(task, token=token, writer=writer)

    drain_in_parallel(recording_apply, seconds=120)
    assert sorted(applied) == sorted(PublishTask.objects.values_list("pk", flat=True))  # each once
    assert strip_rev(publish_table.dump()) == expected_table()
    assert '"name":"metallica take 5"' in publish_table.dump()[("BAND#metallica", "METADATA")]["body"]["S"]
