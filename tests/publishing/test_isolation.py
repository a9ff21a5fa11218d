"""One record that cannot be published (an item over DynamoDB's 400 KB) never blocks the others.

The record is written bypassing the catalog's validation (`catalog.limits`), as data from
before the limits or a direct SQL fix would be; the publisher must still isolate it and
report it: failed task with its reason (admin list, health), non-zero exit, the rest public.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import api_key_create
from catalog.models import Genre
from publishing.models import PublishTask, TaskStatus
from publishing.worker import drain
from tests import factories as f

from .scenarios import published_world
from .test_reliability import expected_table, strip_rev

pytestmark = [pytest.mark.dynamodb, pytest.mark.django_db]

HUGE = "x" * 500_000
TOO_LARGE = "GENRE#verbose / METADATA body is 500"  # the reason names the item and its size


def oversized_genre() -> Genre:
    """An approved genre whose 500 KB description got in without validation."""
    genre = f.genre("verbose", "Verbose")
    Genre.objects.filter(pk=genre.pk).update(description=HUGE)
    genre.refresh_from_db()
    return f.approved(genre)


def assert_public_except_the_bad_genre(table) -> None:
    """The table is what a republish builds for every entity but the bad genre's."""
    from publishing.projector import PublicCatalog

    catalog, expected = PublicCatalog(), {}
    for entity in catalog.all_entities():
        if entity.key != "verbose":
            expected.update({(i.PK, i.SK): i.serialize() for i in catalog.entity_items(entity, rev=0)})
    stored = strip_rev(table.dump())
    assert not [k for k in stored if k[0] == "GENRE#verbose"]
    assert stored == strip_rev(expected)


def test_a_bulk_drain_publishes_the_others_and_reports_the_record_too_large(publish_table, settings, client):
    settings.PUBLISH_BULK_THRESHOLD = 5
    published_world()
    oversized_genre()
    for n in range(3):
        f.approved(f.genre(f"plain-{n}", f"Plain {n}"))
    queued = PublishTask.objects.count()
    assert queued > settings.PUBLISH_BULK_THRESHOLD

    report = drain()
    assert report.failed == 1 and report.applied == queued - 1, report
    failed = PublishTask.objects.get(status=TaskStatus.FAILED)
    assert failed.record_key == "verbose"
    assert "genre verbose" in failed.last_error and TOO_LARGE in failed.last_error
    assert "genre verbose" in " ".join(report.errors)
    assert_public_except_the_bad_genre(publish_table)

    # reported: the admin's task list, /api/admin/health, publish_pending's exit code
    client.force_login(f.user_in("AdminFull"))
    page = client.get(reverse("admin:publishing_publishtask_changelist")).content.decode()
    assert "verbose" in page and TOO_LARGE in page
    _, raw = api_key_create(name="health", group_name="AdminViewer")
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=raw)
    health = api.get("/api/admin/health").json()
    assert health["status"] == "degraded" and health["checks"]["publishing"]["status"] == "error"
    assert health["checks"]["publishing"]["failed"][0]["record"] == "genre verbose"
    assert TOO_LARGE in health["checks"]["publishing"]["failed"][0]["error"]
    PublishTask.objects.filter(pk=failed.pk).update(next_attempt_at=failed.created_at)
    with pytest.raises(CommandError, match="1 task"):
        call_command("publish_pending", stdout=StringIO(), stderr=StringIO())

    # fixed by an editor: the retry publishes it
    genre = Genre.objects.get(key="verbose")
    genre.description = "Short again."
    from catalog import services

    services.record_save(record=genre, user=None)
    f.approved(genre)
    PublishTask.objects.filter(status=TaskStatus.FAILED).update(next_attempt_at=failed.created_at)
    assert drain().failed == 0
    assert strip_rev(publish_table.dump()) == expected_table()
    assert not PublishTask.objects.exclude(status=TaskStatus.DONE).exists()


def test_republish_with_one_bad_record_writes_the_rest_and_exits_non_zero_naming_it(publish_table):
    published_world()
    oversized_genre()
    PublishTask.objects.update(status=TaskStatus.DONE)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("republish", stdout=out, stderr=err)
    assert "1 record(s) could not be published" in str(refused.value)
    assert "genre verbose" in str(refused.value) and TOO_LARGE in str(refused.value)
    assert "not published: genre verbose" in err.getvalue()
    assert_public_except_the_bad_genre(publish_table)
    task = PublishTask.objects.get(status=TaskStatus.FAILED)  # shown in the admin and by health, retried
    assert (task.kind, task.record_key, task.change) == ("genre", "verbose", "republish")
    assert TOO_LARGE in task.last_error

    # a second run reports the same record once, and writes nothing else
    with pytest.raises(CommandError, match="genre verbose"):
        call_command("republish", stdout=out, stderr=err)
    assert PublishTask.objects.filter(status=TaskStatus.FAILED).count() == 1


def test_task_by_task_the_bad_record_fails_alone(publish_table):
    published_world()
    assert drain().failed == 0
    oversized_genre()
    f.approved(f.genre("plain", "Plain"))
    report = drain()
    assert (report.applied, report.failed) == (1, 1), report
    failed = PublishTask.objects.get(status=TaskStatus.FAILED)
    assert failed.record_key == "verbose" and TOO_LARGE in failed.last_error
    assert_public_except_the_bad_genre(publish_table)
