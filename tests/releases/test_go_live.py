"""A release goes public at its time, all at once, on DynamoDB Local, read as fans and a CDN read it.

The clock is the release clock (`releases.clock.frozen_at`), moved by the test; the worker is
the real one (`publishing.worker.drain`), the public answers come from the read tier's handlers.
"""

from datetime import timedelta

import pytest

from catalog.models import Band, Edition, Genre, ReviewStatus
from publishing import writer as writer_module
from publishing.models import Invalidation, PublishTask, TaskStatus
from publishing.worker import drain
from publishing.writer import Writer
from releases import clock
from releases import services as releases
from releases.models import ReleaseState
from tests.publishing.cdn_emulator import CURRENT, CDNEmulator
from tests.publishing.test_reliability import expected_table, strip_rev

from .reader import PollingReader, get, references, visible
from .scenarios import ANNOUNCEMENT, lineup_announcement

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.dynamodb, pytest.mark.slow]


@pytest.fixture
def emulator(publish_table, settings):
    settings.PUBLISH_CDN_BACKEND = "tests.publishing.cdn_emulator.EmulatorBackend"
    cdn = CDNEmulator()
    CURRENT.append(cdn)
    yield cdn
    CURRENT.remove(cdn)


def release_urls(announcement) -> list[str]:
    urls = ["/api/festivals/hellfest", "/api/festivals/hellfest/editions", "/api/festivals/hellfest/editions/2027",
            "/api/bands", "/api/bands?limit=5&offset=5", "/api/genres", "/api/bands/metallica/festivals",
            "/api/genres/heavy-metal/bands", "/api/roles/vocals/members"]
    for key in announcement.band_keys:
        urls += [f"/api/bands/{key}", f"/api/bands/{key}/festivals"]
    for genre in announcement.genres:
        urls += [f"/api/genres/{genre.key}", f"/api/genres/{genre.key}/bands"]
    return urls


def check_after_every_transaction(monkeypatch, check) -> list:
    """Run `check()` after each DynamoDB transaction a publish commits; returns what each call returned."""
    seen = []
    original = Writer.write_conditional

    def write_conditional(self, plan, *, rev, alive=None):
        real = self.client.transact_write_items

        def transact(**kwargs):
            answer = real(**kwargs)
            seen.append(check())
            return answer

        monkeypatch.setattr(self.client, "transact_write_items", transact)
        try:
            return original(self, plan, rev=rev, alive=alive)
        finally:
            monkeypatch.setattr(self.client, "transact_write_items", real)

    monkeypatch.setattr(Writer, "write_conditional", write_conditional)
    return seen


def test_an_announcement_goes_public_at_its_minute_all_at_once(emulator, approver, monkeypatch):
    with clock.frozen_at(ANNOUNCEMENT - timedelta(days=2)):
        announcement = lineup_announcement()
        assert drain().failed == 0  # the published world
        release = announcement.release
        releases.release_approve(release=release, user=approver, fingerprint=releases.release_fingerprint(release),
                                 publish_at=ANNOUNCEMENT, time_zone="Europe/Paris")
        release.refresh_from_db()
        assert release.state == ReleaseState.SCHEDULED
        assert releases.local_time(release).strftime("%H:%M %Z") == "10:00 CET"

        # Embargo: fans ask for the new answers before the time (the CDN caches the 404s and lists); nothing shows.
        urls = release_urls(announcement)
        before = {url: emulator.get(url) for url in urls}
        assert before["/api/festivals/hellfest/editions/2027"][0] == 404
        assert all(before[f"/api/bands/{key}"][0] == 404 for key in announcement.band_keys)
        assert all(before[f"/api/genres/{g.key}"][0] == 404 for g in announcement.genres)

        clock.set_to(ANNOUNCEMENT - timedelta(seconds=1))
        assert drain().failed == 0
        assert visible("hellfest", 2027, announcement.band_keys) == {"edition": False, "bands": 0}
        assert not PublishTask.objects.filter(kind="release").exists()
        assert Band.objects.filter(key__startswith="new-band-", published_snapshot__isnull=False).count() == 0

        # The minute comes: the worker's next run takes it live. After every DynamoDB transaction of the
        # publish, a fan following the release's references finds none that answers 404.
        monkeypatch.setattr(writer_module, "TRANSACT_MAX", 12)  # many transactions: many moments to catch
        seen = check_after_every_transaction(
            monkeypatch, lambda: (references("hellfest", 2027, announcement.band_keys),
                                  visible("hellfest", 2027, announcement.band_keys)))
        reader = PollingReader("hellfest", 2027, announcement.band_keys)
        reader.start()
        clock.set_to(ANNOUNCEMENT)
        invalidations_before = Invalidation.objects.count()
        report = drain()
        reader.stop()

    assert report.failed == 0, report.errors
    assert len(seen) >= 5, "the publish was not split into several transactions"
    assert [broken for (broken, _), _ in seen if broken] == []
    assert seen[-1][0][1] > 60  # the references were followed: the lineup's bands, their genres and festivals
    assert reader.broken == [] and reader.rounds > 0
    states = [state for _, state in seen]
    assert states[0] == {"edition": False, "bands": 0}  # caught before anything of it showed …
    assert any(state["bands"] > 0 and not state["edition"] for state in states)  # … bands before their lineup …
    assert states[-1] == {"edition": True, "bands": 20}  # … and all of it at the end
    assert visible("hellfest", 2027, announcement.band_keys) == {"edition": True, "bands": 20}

    # One publish task, one invalidation for the group; the CDN serves nothing stale (the cached 404s included).
    release.refresh_from_db()
    task = PublishTask.objects.get(kind="release")
    assert release.state == ReleaseState.LIVE and release.publish_task_id == task.pk
    assert task.status == TaskStatus.DONE
    assert Invalidation.objects.count() == invalidations_before + 1
    assert emulator.stale(urls) == []
    assert get("/api/festivals/hellfest/editions/2027")[1]["edition"]["bands"][0] == {"key": "new-band-00", "name": "New Band 00",
                                                                          "size": 0}
    assert strip_rev(Writer().dump()) == expected_table()

    # Every record: public with the approved snapshot, one history row for the approval and one for going live.
    for record in [*announcement.genres, *announcement.bands, announcement.edition]:
        record.refresh_from_db()
        assert record.published_snapshot is not None and record.review_status == ReviewStatus.APPROVED
        reasons = list(record.history.order_by("-history_date").values_list("history_change_reason", flat=True)[:2])
        assert reasons[0].startswith("Public with release") and reasons[1].startswith("Approved with release")


def test_a_record_edited_after_approval_goes_live_as_approved(publish_table, approver):
    with clock.frozen_at(ANNOUNCEMENT - timedelta(hours=1)):
        announcement = lineup_announcement(bands=2)
        drain()
        release = announcement.release
        releases.release_approve(release=release, user=approver, fingerprint=releases.release_fingerprint(release),
                                 publish_at=ANNOUNCEMENT)
        band = Band.objects.get(key="new-band-00")
        band.name = "Typo fixed too late"
        from catalog import services

        services.record_save(record=band, user=None)
        clock.set_to(ANNOUNCEMENT + timedelta(seconds=30))
        assert drain().failed == 0
    band.refresh_from_db()
    assert band.published_snapshot["name"] == "New Band 00" and band.review_status == ReviewStatus.DRAFT
    assert get("/api/bands/new-band-00")[1]["band"]["name"] == "New Band 00"
    assert Edition.objects.get(pk=announcement.edition.pk).published_snapshot is not None
    assert Genre.objects.filter(key__startswith="new-genre-", published_snapshot__isnull=True).count() == 0


def test_without_the_ordered_write_a_reader_would_catch_a_lineup_half_written(publish_table, approver, monkeypatch):
    """The check above can fail: writing the same items in the projector's plain entity order (bands with
    their festival rows first, genres last) shows references that answer 404 between two transactions."""
    from publishing import releases as publishing_releases

    with clock.frozen_at(ANNOUNCEMENT - timedelta(hours=1)):
        announcement = lineup_announcement(bands=6)
        drain()
        release = announcement.release
        releases.release_approve(release=release, user=approver, fingerprint=releases.release_fingerprint(release),
                                 publish_at=ANNOUNCEMENT)
        monkeypatch.setattr(writer_module, "TRANSACT_MAX", 6)
        monkeypatch.setattr(publishing_releases, "write_rank", lambda entity, item: 0)
        seen = check_after_every_transaction(monkeypatch, lambda: references("hellfest", 2027, announcement.band_keys))
        clock.set_to(ANNOUNCEMENT)
        assert drain().failed == 0
    assert [broken for broken, _ in seen if broken] != []
