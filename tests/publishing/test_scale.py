"""An edit costs what it touches, and a rebuild fits where it runs.

The shared world is copied ×N the way `bench.scale` copies the legacy export (every band and
festival again under suffixed keys, lineups pointing at their own copy's bands, genres and roles
shared: a bigger world has more bands per genre). A band edit must read and write the same items
at ×10 as at ×1, and leave the table equal to a fresh republish. A checkpointed republish or bulk
drain that runs out of time stops at a checkpoint and the next run carries on to the same table.
"""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import services
from catalog.models import Band, Edition, Festival, Genre, LineupEntry, Role
from publishing.models import PublishTask, RebuildCheckpoint, TaskStatus
from publishing.services import republish
from publishing.worker import drain
from publishing.writer import dynamodb_client
from read_api import queries
from tests import factories as f

from .scenarios import published_world
from .test_reliability import expected_table

pytestmark = [pytest.mark.django_db, pytest.mark.dynamodb]


def copies(world, times: int, start: int = 2) -> None:
    """Copies `start`..`times` of the world's bands and festivals (genres and roles shared)."""
    for n in range(start, times + 1):
        maiden = f.approved(f.band(f"iron-maiden-x{n}", f"Iron Maiden (x{n})", genres=[world.heavy], country="GB",
                                   members=[("Bruce Dickinson", [world.vocals]), ("Dave Murray", [world.guitar])]))
        metallica = f.approved(f.band(f"metallica-x{n}", f"Metallica (x{n})", genres=[world.heavy, world.thrash],
                                      members=[("James Hetfield", [world.vocals, world.guitar])]))
        hellfest = f.approved(f.festival(f"hellfest-x{n}", f"Hellfest (x{n})"))
        f.approved(f.edition(hellfest, 2026, bands=[metallica, maiden]))
        wacken = f.approved(f.festival(f"wacken-x{n}", f"Wacken (x{n})"))
        f.approved(f.edition(wacken, 2026, bands=[maiden]))


class Reads:
    """Items DynamoDB reads for publishing (Query/Scan scanned items, BatchGetItem/GetItem items)."""

    def __init__(self):
        self.items = 0
        self.client = dynamodb_client()

    def count(self, parsed=None, model=None, **kwargs):
        if model.name in ("Query", "Scan"):
            self.items += parsed.get("ScannedCount", 0)
        elif model.name == "BatchGetItem":
            self.items += sum(len(v) for v in (parsed.get("Responses") or {}).values())
        elif model.name == "GetItem" and "Item" in parsed:
            self.items += 1

    def __enter__(self):
        self.client.meta.events.register("after-call.dynamodb", self.count, unique_id="test-scale-reads")
        return self

    def __exit__(self, *exc):
        self.client.meta.events.unregister("after-call.dynamodb", unique_id="test-scale-reads")


def reapprove(record):
    services.record_save(record=record, user=None)
    record.refresh_from_db()
    if record.review_status != "approved":
        f.approved(record)


def edit_band(key: str, name: str) -> tuple[int, int]:
    """Rename a band's display name and publish it: (items read, items written)."""
    band = Band.objects.get(key=key)
    band.name = name
    reapprove(band)
    with Reads() as reads:
        assert drain().failed == 0
    task = PublishTask.objects.order_by("-id").first()
    return reads.items, task.items_written + task.items_deleted


def test_a_band_edit_reads_and_writes_the_same_at_x10_as_at_x1(publish_table, table_dump):
    world = published_world()
    assert drain().failed == 0
    # Names of one shape: a rename moves the band's search rows, one per prefix of the old and the new name.
    edit_band("iron-maiden", "Iron Maiden (edit one)")
    at_x1 = edit_band("iron-maiden", "Iron Maiden (edit two)")
    assert table_dump() == expected_table()

    copies(world, 10)
    assert drain().failed == 0
    at_x10 = edit_band("iron-maiden", "Iron Maiden (edit six)")
    assert Band.objects.count() == 20 and Genre.objects.get(key="heavy-metal").bands.count() == 20
    assert at_x10 == at_x1
    assert table_dump() == expected_table()


# --- the property at ×10: random edits, the table always equals a fresh republish ---------------------------

EDITS = ["rename_band", "retag_band", "drop_member", "unpublish_band", "lineup", "rename_genre", "role_name",
         "move_edition"]
# Issue 12.5: where an edition's dates move it relative to today (ended, running, across month starts, later).
EDITION_SHIFTS = [-40, -20, -2, 0, 25, 70, 200, 400, 33, 61]


@pytest.fixture
def world_x10(publish_table):
    world = published_world()
    copies(world, 10)
    assert drain().failed == 0
    return world


def apply_edit(edit: str, n: int) -> None:
    suffix = "" if n == 1 else f"-x{n}"
    band = Band.objects.filter(key__startswith=f"iron-maiden{suffix}", published_snapshot__isnull=False) \
        .order_by("key").first()
    if edit == "rename_band" and band is not None:
        services.record_rename_key(record=band, user=None, new_key=f"{band.key}-r")
        band.refresh_from_db()
        if band.review_status != "approved":
            f.approved(band)
    elif edit == "retag_band" and band is not None:
        band.genres.set([Genre.objects.get(key="thrash-metal")])
        reapprove(band)
    elif edit == "drop_member" and band is not None:
        band.members.order_by("-id").first().delete()
        reapprove(band)
    elif edit == "unpublish_band" and band is not None:
        services.record_unpublish(record=band, user=None)
    elif edit == "lineup":
        edition = Edition.objects.filter(festival__key=f"wacken{suffix}").first()
        other = Band.objects.filter(key=f"metallica{suffix}").first()
        if edition is not None and other is not None:
            LineupEntry.objects.get_or_create(edition=edition, band=other, defaults={"order": 9, "billing_size": 1})
            reapprove(edition)
    elif edit == "move_edition":
        edition = Edition.objects.filter(festival__key=f"wacken{suffix}").order_by("year").last()
        if edition is not None:
            edition.start_date = queries.today() + dt.timedelta(days=EDITION_SHIFTS[n - 1])
            edition.end_date = edition.start_date + dt.timedelta(days=n % 4 * 12)
            reapprove(edition)
    elif edit == "rename_genre":
        genre = Genre.objects.get(key="thrash-metal")
        genre.name = f"Thrash {n}"
        reapprove(genre)
    elif edit == "role_name":
        role = Role.objects.get(key="guitar")
        role.name = f"Guitar {n}"
        reapprove(role)


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(EDITS), st.integers(1, 10)), min_size=1, max_size=4))
def test_at_x10_every_edit_leaves_the_table_equal_to_a_fresh_republish(world_x10, table_dump, edits):
    for edit, n in edits:  # the examples follow one another on the same (changing) world
        apply_edit(edit, n)
        assert drain().failed == 0
        assert table_dump() == expected_table(), (edit, n)


# --- fitting where it runs -------------------------------------------------------------------------------


def test_a_republish_out_of_time_resumes_at_its_checkpoint(publish_table, table_dump, settings):
    world = published_world()
    copies(world, 3)
    PublishTask.objects.update(status=TaskStatus.DONE)
    settings.PUBLISH_REBUILD_CHUNK = 4
    runs = []
    while True:
        report = republish(time_budget=0)  # stops after each chunk
        runs.append(report)
        if report.complete:
            break
        assert RebuildCheckpoint.objects.get().entities_done == 4 * len(runs)
    assert len(runs) > 3 and not RebuildCheckpoint.objects.exists()
    assert sum(r.puts for r in runs) == len(expected_table())  # every item written once, none twice
    assert table_dump() == expected_table()


def test_a_bulk_drain_out_of_time_leaves_the_rest_to_the_next_run(publish_table, table_dump, settings):
    settings.PUBLISH_BULK_THRESHOLD = 5
    settings.PUBLISH_REBUILD_CHUNK = 6
    world = published_world()
    copies(world, 3)
    queued = PublishTask.objects.count()
    report = drain(time_budget=0)
    assert report.rebuild_pending == queued and report.applied == 0
    assert PublishTask.objects.filter(status=TaskStatus.RUNNING).count() == queued
    later = f.approved(f.genre("doom-metal", "Doom Metal"))  # queued after the bulk began: waits for it
    while (report := drain(time_budget=0)).rebuild_pending:
        assert not PublishTask.objects.filter(record_key=later.key, status=TaskStatus.DONE).exists()
    assert drain().failed == 0
    assert not PublishTask.objects.exclude(status=TaskStatus.DONE).exists()
    assert not RebuildCheckpoint.objects.exists()
    assert table_dump() == expected_table()


def test_a_bulk_drain_does_not_resume_a_republish_it_did_not_start(publish_table, table_dump, settings):
    """A republish cut short skipped entities edited since: the bulk of their tasks rebuilds them all."""
    settings.PUBLISH_BULK_THRESHOLD = 5
    settings.PUBLISH_REBUILD_CHUNK = 4
    world = published_world()
    PublishTask.objects.update(status=TaskStatus.DONE)
    assert not republish(time_budget=0).complete
    copies(world, 2)  # queued after the republish passed the first entities
    assert drain().failed == 0
    assert not RebuildCheckpoint.objects.exists()
    assert table_dump() == expected_table()


def test_a_republish_holds_one_chunk_of_the_catalog_at_a_time(publish_table, table_dump, settings):
    """Memory set by the chunk, not the catalog: rebuilt 4 entities at a time, ×8 of the world loads no more
    snapshots, and builds no more items, at once than ×4 does (counted by the rebuild, not timed)."""
    settings.PUBLISH_REBUILD_CHUNK = 4
    world = published_world()
    copies(world, 4)
    PublishTask.objects.update(status=TaskStatus.DONE)
    small = republish()
    copies(world, 8, start=5)
    PublishTask.objects.update(status=TaskStatus.DONE)
    big = republish()
    assert big.desired > 1.5 * small.desired and table_dump() == expected_table()
    snapshots = sum(m.objects.filter(published_snapshot__isnull=False).count()
                    for m in (Band, Edition, Festival, Genre, Role))
    assert 0 < big.most_snapshots <= small.most_snapshots < snapshots / 2
    # Items per entity vary with names (search rows) and chunks mix other entities at ×8: a margin, not ×2.
    assert 0 < big.most_items <= 1.2 * small.most_items < big.desired / 2


def test_a_republish_counts_what_it_changed_and_names_a_bounded_part(publish_table, settings, monkeypatch):
    """The tags and answers a rebuild changes grow with the catalog: it counts them all and names
    every tag only while the invalidation can name them, and the first ANSWERS_KEPT answers."""
    from publishing.models import Invalidation
    from publishing.services import RepublishReport

    copies(published_world(), 3)
    PublishTask.objects.update(status=TaskStatus.DONE)
    settings.PUBLISH_INVALIDATION_WILDCARD_AFTER = 10**6
    named = republish(dry_run=True)
    assert named.tags_changed == len(named.changed_tags) > 20
    assert named.answers_changed == len(named.changed_paths) > 20
    assert named.changed_paths == sorted(named.changed_paths)

    settings.PUBLISH_INVALIDATION_WILDCARD_AFTER = 20
    monkeypatch.setattr(RepublishReport, "ANSWERS_KEPT", 5)
    report = republish()
    assert (report.tags_changed, report.answers_changed) == (named.tags_changed, named.answers_changed)
    assert report.changed_tags == set() and report.changed_paths == named.changed_paths[:5]
    assert report.invalidation_items == ["/api/*"]
    sent = Invalidation.objects.get()
    assert sent.items == ["/api/*"] and sent.changed_paths == named.changed_paths[:5]


def test_a_republish_finds_lineups_by_key_not_by_searching_snapshots_per_chunk(publish_table, table_dump, settings):
    """A chunk finds its bands' festivals in the rebuild's lineup index (every edition read once):
    a text search over every edition's snapshot per chunk made a ×100 republish's cost grow with
    the square of the catalog."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.PUBLISH_REBUILD_CHUNK = 4
    copies(published_world(), 3)
    PublishTask.objects.update(status=TaskStatus.DONE)
    with CaptureQueriesContext(connection) as queries:
        republish()
    searches = [q["sql"] for q in queries.captured_queries if "catalog_edition" in q["sql"] and "LIKE" in q["sql"]]
    assert searches == []
    assert table_dump() == expected_table()
