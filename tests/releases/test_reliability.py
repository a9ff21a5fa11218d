"""A release whose publish is cut by a DynamoDB outage converges to all of it, and never shows a broken lineup.

Runs on its own DynamoDB Local with a database file (tests/publishing/test_reliability.py's
`own_dynamodb`), stopped between two transactions of the release's publish and started again.
"""

from datetime import timedelta

import pytest
from django.core import mail

from catalog import services
from notifications.services import send_publishing_alerts
from publishing import writer as writer_module
from publishing.models import PublishTask, TaskStatus
from publishing.worker import drain
from publishing.writer import Writer
from releases import clock
from releases import services as releases
from releases.models import ReleaseState
from tests import factories as f
from tests.publishing.test_reliability import expected_table, make_due, strip_rev

from .reader import references, visible
from .scenarios import ANNOUNCEMENT, lineup_announcement

pytestmark = [pytest.mark.django_db, pytest.mark.dynamodb, pytest.mark.slow]


def test_dynamodb_stopping_mid_release_converges_to_all_of_it_never_half(own_dynamodb, approver, monkeypatch,
                                                                          settings):
    settings.PUBLISHING_ALERT_EMAILS = ["duty@example.com"]
    with clock.frozen_at(ANNOUNCEMENT - timedelta(hours=1)):
        announcement = lineup_announcement(bands=8)
        assert drain().failed == 0
        release = announcement.release
        releases.release_approve(release=release, user=approver, fingerprint=releases.release_fingerprint(release),
                                 publish_at=ANNOUNCEMENT)
        monkeypatch.setattr(writer_module, "TRANSACT_MAX", 6)
        calls = {"n": 0}
        original = Writer.write_conditional

        def stop_after_two_transactions(self, plan, *, rev, alive=None):
            real = self.client.transact_write_items

            def transact(**kwargs):
                calls["n"] += 1
                if calls["n"] == 3:
                    own_dynamodb.stop()  # between two transactions of the release's publish
                return real(**kwargs)

            monkeypatch.setattr(self.client, "transact_write_items", transact)
            try:
                return original(self, plan, rev=rev, alive=alive)
            finally:
                monkeypatch.setattr(self.client, "transact_write_items", real)

        monkeypatch.setattr(Writer, "write_conditional", stop_after_two_transactions)
        clock.set_to(ANNOUNCEMENT)
        report = drain()

        release.refresh_from_db()
        task = PublishTask.objects.get(kind="release")
        assert report.failed == 1 and task.status == TaskStatus.FAILED, report
        assert release.state == ReleaseState.LIVE and release.publish_task_id == task.pk  # the database step is done
        assert calls["n"] == 3  # the fence, then one transaction of items went through: the table is part-written

        # Meanwhile an editor approves another change: it waits behind the unfinished release (it would
        # otherwise project the release's records before their ordered write).
        maiden = announcement.world.maiden
        maiden.name = "Iron Maiden (during the outage)"
        services.record_save(record=maiden, user=None)
        f.approved(maiden)

        # The people on duty hear of the failed release task.
        assert send_publishing_alerts()["sent"] == 1
        assert f"publish release {release.name}" in mail.outbox[-1].body

        own_dynamodb.start()
        monkeypatch.setattr(Writer, "write_conditional", original)
        # What a reader sees of the half-written release: no reference that answers 404.
        broken, followed = references("hellfest", 2027, announcement.band_keys)
        assert broken == [] and visible("hellfest", 2027, announcement.band_keys)["edition"] is False

        make_due()
        first = drain()
    assert first.failed == 0, first.errors
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.attempts == 2
    assert not PublishTask.objects.exclude(status=TaskStatus.DONE).exists()
    assert visible("hellfest", 2027, announcement.band_keys) == {"edition": True, "bands": 8}
    assert references("hellfest", 2027, announcement.band_keys)[0] == []
    assert strip_rev(Writer().dump()) == expected_table()


def test_a_release_that_cannot_go_live_stays_scheduled_is_retried_and_the_people_on_duty_are_told(
        db, approver, settings):
    """Going live checks the approved snapshots again: a band of the lineup unpublished since the approval
    (and not in the release) stops it; it stays due, is retried each run, and the people on duty hear once."""
    settings.PUBLISHING_ALERT_EMAILS = ["duty@example.com"]
    with clock.frozen_at(ANNOUNCEMENT - timedelta(hours=1)):
        announcement = lineup_announcement(bands=2)
        release = announcement.release
        releases.release_approve(release=release, user=approver, fingerprint=releases.release_fingerprint(release),
                                 publish_at=ANNOUNCEMENT)
        services.record_unpublish(record=announcement.world.metallica, user=None)
        clock.set_to(ANNOUNCEMENT)
        assert releases.releases_go_live_due() == 0
        release.refresh_from_db()
        assert release.state == ReleaseState.SCHEDULED and release.attempts == 1
        assert "metallica" in release.last_error and release.alerted_at is not None
        assert len(mail.outbox) == 1 and "did not go live" in mail.outbox[0].subject
        clock.set_to(ANNOUNCEMENT + timedelta(seconds=10))
        assert releases.releases_go_live_due() == 0  # backing off: not tried again yet
        f.approved(announcement.world.metallica)
        clock.set_to(ANNOUNCEMENT + timedelta(minutes=1))
        assert releases.releases_go_live_due() == 1
    release.refresh_from_db()
    assert release.state == ReleaseState.LIVE and len(mail.outbox) == 1  # told once
