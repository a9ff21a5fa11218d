"""The release workflow without DynamoDB: group validation, one approval, scheduling, the embargo guard."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditAction, AuditEntry
from catalog import services
from catalog.models import ReviewStatus
from publishing.models import PublishTask
from releases import clock
from releases import services as releases
from releases.models import ReleaseState
from tests import factories as f

from .scenarios import ANNOUNCEMENT, lineup_announcement, submitted

pytestmark = pytest.mark.django_db


def approve(release, user, **kwargs):
    release.refresh_from_db()
    kwargs.setdefault("publish_at", ANNOUNCEMENT)
    return releases.release_approve(release=release, user=user, fingerprint=releases.release_fingerprint(release),
                                    **kwargs)


def test_approving_approves_every_record_once_writes_one_audit_entry_and_publishes_nothing_yet(approver):
    announcement = lineup_announcement(bands=3)
    tasks = PublishTask.objects.count()
    with clock.frozen_at(ANNOUNCEMENT - timedelta(days=1)):
        approve(announcement.release, approver, time_zone="Europe/Paris", comment="Friday 10:00 CET")
    release = announcement.release
    release.refresh_from_db()
    assert release.state == ReleaseState.SCHEDULED and release.approved_by == approver
    assert release.publish_at == ANNOUNCEMENT and release.time_zone == "Europe/Paris"
    assert f"{releases.local_time(release):%Y-%m-%d %H:%M %Z}" == "2027-01-15 10:00 CET"
    entries = AuditEntry.objects.filter(action=AuditAction.APPROVE, object_pk=str(release.pk),
                                        content_type__app_label="releases")
    assert entries.count() == 1
    listed = {row["record"] for row in entries.get().detail["records"]}
    assert listed == {*(str(r) for r in [*announcement.genres, *announcement.bands]), "Hellfest 2027"}
    assert PublishTask.objects.count() == tasks  # nothing public before the time
    for record in [*announcement.genres, *announcement.bands, announcement.edition]:
        record.refresh_from_db()
        assert record.review_status == ReviewStatus.APPROVED and record.published_snapshot is None
        assert record.approved_by == approver
    assert release.items.filter(approved_snapshot__isnull=True).count() == 0


def test_every_lineup_entry_must_resolve_inside_the_release_or_to_a_public_band(approver):
    announcement = lineup_announcement(bands=2)
    item = announcement.release.items.get(object_pk=announcement.bands[0].pk, content_type__model="band")
    releases.release_remove_item(release=announcement.release, item_id=item.pk, user=None)
    with pytest.raises(ValidationError) as refused:
        approve(announcement.release, approver)
    assert "new-band-00" in " ".join(refused.value.messages) and "Add them to the release" in " ".join(
        refused.value.messages)
    announcement.edition.refresh_from_db()
    assert announcement.edition.review_status == ReviewStatus.IN_REVIEW  # nothing was approved


def test_a_band_whose_genre_is_neither_public_nor_in_the_release_is_refused(approver):
    announcement = lineup_announcement(bands=1)
    genre_item = announcement.release.items.filter(content_type__model="genre").first()
    releases.release_remove_item(release=announcement.release, item_id=genre_item.pk, user=None)
    with pytest.raises(ValidationError, match="genres or roles not public"):
        approve(announcement.release, approver)


def test_records_must_be_in_review_and_within_the_limits(approver):
    announcement = lineup_announcement(bands=1)
    services.record_return_to_draft(record=announcement.bands[0], user=None, reason="check the name")
    with pytest.raises(ValidationError, match="only records in review"):
        approve(announcement.release, approver)


def test_the_approval_names_the_reviewed_state_and_a_change_since_refuses_it(approver):
    announcement = lineup_announcement(bands=1)
    release = announcement.release
    with pytest.raises(releases.FingerprintRequiredError):
        releases.release_approve(release=release, user=approver, fingerprint="", publish_at=ANNOUNCEMENT)
    seen = releases.release_fingerprint(release)
    band = announcement.bands[0]
    band.description = "Edited after the approver looked."
    services.record_save(record=band, user=None)
    services.record_submit_for_review(record=band, user=None)
    with pytest.raises(releases.ReleaseChangedError):
        releases.release_approve(release=release, user=approver, fingerprint=seen, publish_at=ANNOUNCEMENT)


def test_two_pairs_of_eyes_as_for_single_records(approver, settings):
    settings.REVIEW_FOUR_EYES = True
    announcement = lineup_announcement(bands=1)
    band = announcement.bands[0]
    band.description = "Edited by the approver."
    services.record_save(record=band, user=approver)
    services.record_submit_for_review(record=band, user=approver)
    with pytest.raises(PermissionDenied, match="two pairs of eyes"):
        approve(announcement.release, approver)
    approve(announcement.release, approver, override_justification="the announcement cannot wait")
    entry = AuditEntry.objects.get(action=AuditAction.APPROVE, content_type__app_label="releases")
    assert entry.detail["four_eyes_override"]["justification"] == "the announcement cannot wait"


def test_editors_add_records_but_do_not_approve(editor):
    announcement = lineup_announcement(bands=1)
    with pytest.raises(PermissionDenied):
        approve(announcement.release, editor)


def test_a_record_of_an_open_release_is_not_approved_alone():
    announcement = lineup_announcement(bands=1)
    with pytest.raises(services.WorkflowError, match="part of release"):
        services.record_approve(record=announcement.bands[0], user=None)


def test_a_record_is_in_one_open_release_at_a_time():
    announcement = lineup_announcement(bands=1)
    other = releases.release_create(name="Another announcement", user=None)
    with pytest.raises(ValidationError, match="in release"):
        releases.release_add_records(release=other, records=[announcement.bands[0]], user=None)


def test_unschedule_returns_the_records_to_review_and_reschedule_moves_the_time(approver):
    announcement = lineup_announcement(bands=1)
    release = announcement.release
    with clock.frozen_at(ANNOUNCEMENT - timedelta(days=1)):
        approve(release, approver)
        releases.release_reschedule(release=release, user=approver, publish_at=datetime(2027, 1, 16, 18, 0),
                                    time_zone="America/New_York")
        release.refresh_from_db()
        assert release.publish_at == datetime(2027, 1, 16, 23, 0, tzinfo=UTC)
        band = announcement.bands[0]  # edited and resubmitted meanwhile: not approved alone before the release
        band.description = "A late fix."
        services.record_save(record=band, user=None)
        services.record_submit_for_review(record=band, user=None)
        with pytest.raises(services.WorkflowError, match="goes public with release"):
            services.record_approve(record=band, user=None)
        releases.release_unschedule(release=release, user=approver)
    release.refresh_from_db()
    assert release.state == ReleaseState.DRAFT and release.publish_at is None
    for record in [*announcement.genres, *announcement.bands, announcement.edition]:
        record.refresh_from_db()
        assert record.review_status == ReviewStatus.IN_REVIEW
    approve(release, approver)  # approved again, at a new time
    releases.release_cancel(release=release, user=approver)
    release.refresh_from_db()
    assert release.state == ReleaseState.CANCELLED
    services.record_approve(record=announcement.genres[0], user=None)  # no longer held by a release


def test_a_single_record_can_be_approved_now_to_go_public_later(approver):
    genre = submitted(f.genre("post-metal", "Post-Metal"))
    with clock.frozen_at(ANNOUNCEMENT - timedelta(hours=2)):
        release = releases.record_schedule(record=genre, user=approver, expected_version=genre.version,
                                           publish_at=datetime(2027, 1, 15, 10, 0), time_zone="Europe/Paris")
        assert release.state == ReleaseState.SCHEDULED and release.publish_at == ANNOUNCEMENT
        assert releases.releases_go_live_due() == 0
        clock.set_to(ANNOUNCEMENT)
        assert releases.releases_go_live_due() == 1
    genre.refresh_from_db()
    assert genre.published_snapshot["name"] == "Post-Metal"
    assert PublishTask.objects.filter(kind="release", record_pk=release.pk).count() == 1
    with pytest.raises(services.ConcurrentEditError):
        other = submitted(f.genre("drone", "Drone"))
        releases.record_schedule(record=other, user=approver, expected_version=other.version - 1,
                                 publish_at=ANNOUNCEMENT)
