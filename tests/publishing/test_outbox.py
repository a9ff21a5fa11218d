"""The outbox: each change to what the public sees commits its task in the same transaction, and only then."""

import pytest
from django.db import transaction

from catalog import services
from catalog.models import Band
from publishing.models import PublishTask, TaskStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_approval_writes_one_task_with_the_snapshots():
    band = f.band("iron-maiden", "Iron Maiden")
    f.approved(band)
    task = PublishTask.objects.get()
    assert (task.kind, task.record_pk, task.record_key, task.change) == ("band", band.pk, "iron-maiden", "publish")
    assert task.before is None and task.after["name"] == "Iron Maiden"
    assert task.revision == 1 and task.status == TaskStatus.PENDING


def test_no_approval_without_its_task_and_no_task_without_its_approval():
    band = f.band()
    services.record_submit_for_review(record=band, user=None)
    with pytest.raises(Boom), transaction.atomic():
        services.record_approve(record=band, user=None)
        assert PublishTask.objects.count() == 1  # written inside the approval's transaction
        raise Boom
    band.refresh_from_db()
    assert band.published_snapshot is None and not PublishTask.objects.exists()


def test_unpublish_rename_and_delete_carry_what_was_public():
    band = f.approved(f.band("old-key", "Band"))
    services.record_rename_key(record=band, user=None, new_key="new-key")
    services.record_unpublish(record=band, user=None)
    band.refresh_from_db()
    services.record_delete(record=band, user=None)  # unpublished: not public, so no task
    tasks = list(PublishTask.objects.values_list("change", "record_key", "previous_key"))
    assert tasks == [("publish", "old-key", ""), ("rename", "new-key", "old-key"), ("unpublish", "new-key", "")]
    assert PublishTask.objects.get(change="unpublish").before["key"] == "new-key"
    assert not Band.objects.exists()


def test_festival_delete_keeps_its_editions_snapshots_for_the_cascade():
    festival = f.approved(f.festival("hellfest"))
    f.approved(f.edition(festival, 2026))
    services.record_delete(record=festival, user=None)
    task = PublishTask.objects.get(change="delete")
    assert task.kind == "festival" and task.record_key == "hellfest"
    assert [e["year"] for e in task.related_before] == [2026]


def test_edition_tasks_are_keyed_by_festival_and_year():
    edition = f.approved(f.edition(f.festival("wacken"), 2027))
    assert PublishTask.objects.get(kind="edition").record_key == "wacken/2027"
    assert edition.published_revision == 1


def test_drafts_and_returns_to_draft_write_no_task():
    band = f.band()
    services.record_submit_for_review(record=band, user=None)
    services.record_return_to_draft(record=band, user=None)
    assert not PublishTask.objects.exists()
