"""The releases admin: the bulk action and panel on records, the release page and its steps, the preview page."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from catalog.models import Band, Genre, ReviewStatus
from releases import clock
from releases.models import Release, ReleaseState
from tests import factories as f

from .scenarios import ANNOUNCEMENT, lineup_announcement, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_client(client, approver):
    client.force_login(approver)
    return client


def test_the_bulk_action_adds_selected_records_to_a_new_release(full_client):
    bands = [submitted(f.band(f"bulk-{n}", f"Bulk {n}")) for n in range(3)]
    url = reverse("admin:catalog_band_changelist")
    selected = {"action": "add_to_release", ACTION_CHECKBOX_NAME: [b.pk for b in bands]}
    page = full_client.post(url, selected)
    assert page.status_code == 200 and b"add-to-release-form" in page.content and b"Bulk 2" in page.content
    done = full_client.post(url, {**selected, "post": "yes", "release": "", "new_name": "Summer wave"})
    release = Release.objects.get(name="Summer wave")
    assert done.status_code == 302 and done["Location"] == reverse("admin:releases_release_change", args=[release.pk])
    assert sorted(i.object_pk for i in release.items.all()) == sorted(b.pk for b in bands)


def test_a_records_page_has_a_releases_panel(full_client):
    genre = submitted(f.genre("doomgaze", "Doomgaze"))
    url = reverse("admin:catalog_genre_change", args=[genre.pk])
    page = full_client.get(url).content.decode()
    assert 'id="add-to-release-panel"' in page and 'id="schedule-record-panel"' in page
    release = Release.objects.create(name="Autumn")
    full_client.post(reverse("admin:releases_release_add_records"), {
        "content_type": _content_type(genre), "object_pk": genre.pk, "release": release.pk})
    page = full_client.get(url).content.decode()
    assert 'id="record-release"' in page and "Autumn" in page and 'id="schedule-record-panel"' not in page


def _content_type(record) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(record).pk


def test_a_record_is_scheduled_alone_from_its_panel(full_client):
    genre = submitted(f.genre("blackened-crust", "Blackened Crust"))
    with clock.frozen_at(ANNOUNCEMENT - timedelta(days=1)):
        answer = full_client.post(reverse("admin:releases_release_schedule_record"), {
            "content_type": _content_type(genre), "object_pk": genre.pk, "version": genre.version,
            "publish_at": "2027-01-15T10:00", "time_zone": "Europe/Paris"}, follow=True)
    assert "goes public at 2027-01-15 10:00 CET" in answer.content.decode()
    release = Release.objects.get(name__startswith="Scheduled:")
    assert release.state == ReleaseState.SCHEDULED and release.publish_at == ANNOUNCEMENT


def test_the_release_page_shows_content_state_and_problems_and_takes_its_steps(full_client):
    announcement = lineup_announcement(bands=2)
    release = announcement.release
    url = reverse("admin:releases_release_change", args=[release.pk])
    page = full_client.get(url).content.decode()
    assert 'data-state="draft"' in page and "New Band 01" in page and "Hellfest 2027" in page
    assert 'id="release-approve-form"' in page and 'id="release-problems"' not in page
    assert 'name="fingerprint"' in page

    # A record returned to draft: listed as a problem, and the approval refused with a message.
    Genre.objects.filter(pk=announcement.genres[0].pk).update(review_status=ReviewStatus.DRAFT)
    page = full_client.get(url).content.decode()
    assert 'id="release-problems"' in page and "only records in review" in page
    Genre.objects.filter(pk=announcement.genres[0].pk).update(review_status=ReviewStatus.IN_REVIEW)

    from releases.services import release_fingerprint

    with clock.frozen_at(ANNOUNCEMENT - timedelta(days=1)):
        stale = full_client.post(reverse("admin:releases_release_step", args=[release.pk, "approve"]),
                                 {"fingerprint": "1-stale", "publish_at": "2027-01-15T10:00",
                                  "time_zone": "Europe/Paris"}, follow=True)
        assert "Nothing changed" in stale.content.decode() and "changed since you reviewed it" in stale.content.decode()
        done = full_client.post(reverse("admin:releases_release_step", args=[release.pk, "approve"]),
                                {"fingerprint": release_fingerprint(release), "publish_at": "2027-01-15T10:00",
                                 "time_zone": "Europe/Paris"}, follow=True)
    page = done.content.decode()
    assert "goes public at 2027-01-15 10:00 CET" in page and 'data-state="scheduled"' in page
    assert "Friday 15 January 2027, 10:00 CET" in page and "2027-01-15 09:00 UTC" in page  # its zone, and UTC
    assert 'id="release-reschedule-form"' in page and 'id="release-unschedule-form"' in page
    assert Band.objects.get(key="new-band-00").review_status == ReviewStatus.APPROVED
    release.refresh_from_db()
    undone = full_client.post(reverse("admin:releases_release_step", args=[release.pk, "unschedule"]),
                              {"version": release.version}, follow=True)
    assert 'data-state="draft"' in undone.content.decode()
    assert Band.objects.get(key="new-band-00").review_status == ReviewStatus.IN_REVIEW


@pytest.mark.dynamodb
def test_the_preview_page_shows_the_lineup_with_the_new_bands_by_name(full_client, publish_table):
    announcement = lineup_announcement(bands=3)
    page = full_client.get(reverse("admin:releases_release_preview", args=[announcement.release.pk])).content.decode()
    assert 'class="fan-view"' in page and "Hellfest" in page
    assert "New Band 00 · New Band 01" not in page  # billing groups: headliner, main, mid, small
    for name in ("New Band 00", "New Band 01", "New Band 02", "Metallica"):
        assert name in page
    assert "new: not public yet, appears with this approval" in page
    assert "BAND#new-band-00" in page and "/api/festivals/hellfest" in page
