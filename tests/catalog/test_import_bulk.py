"""New records arrive in bulk (catalog/importer/bulk.py) exactly as the services would leave them, in a number
of queries that does not grow with the file; the console shows a progress bar on a terminal only."""

import io
import json
import logging
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditAction, AuditEntry
from catalog import services
from catalog.importer.console import QUIET_LOGGERS, quiet
from catalog.importer.schema import load_legacy_file
from catalog.importer.service import legacy_import
from catalog.models import Band, Edition, Festival, Genre, LineupEntry, Member, ReviewStatus, Role
from catalog.ordering import ordered
from catalog.snapshots import build_snapshot, snapshot_changes
from publishing.models import PublishTask

DATA = Path(__file__).parent / "data"
pytestmark = pytest.mark.django_db


def run(data=None, **options):
    return legacy_import(data=data or load_legacy_file(DATA / "small.json"), today=date(2026, 1, 1), **options)


def _stored_as_the_services_store_it(record) -> None:
    """What record_save then record_approve (or record_save alone, for a draft) leave behind."""
    approved = record.review_status == ReviewStatus.APPROVED
    assert record.version == record.import_version == (2 if approved else 1)
    history = list(record.history.order_by("history_date", "history_id"))
    assert [(h.history_type, h.history_change_reason, h.version, h.review_status) for h in history] == (
        [("+", "Created", 1, "draft"), ("~", "Approved", 2, "approved")] if approved else [("+", "Created", 1, "draft")])
    assert all(h.import_hash == "" and h.import_version is None for h in history)
    snapshot = build_snapshot(record)  # read back from the tables, as the services read it
    entries = AuditEntry.objects.filter(object_pk=str(record.pk), content_type__model=record._meta.model_name)
    entries = list(entries.order_by("id"))
    assert [e.action for e in entries] == [AuditAction.CREATE, AuditAction.APPROVE][:1 + approved]
    assert all(e.changes == json.loads(json.dumps(snapshot_changes(None, snapshot))) for e in entries)
    tasks = PublishTask.objects.filter(kind=record._meta.model_name, record_pk=record.pk).exclude(change="alias")
    if approved:
        assert record.published_snapshot == snapshot and record.published_revision == 1
        assert history[-1].published_snapshot == snapshot and record.approved_at == history[-1].approved_at
        assert entries[-1].detail == {"revision": 1, "version": 1}
        assert [(t.change, t.after, t.revision) for t in tasks] == [("publish", snapshot, 1)]
    else:
        assert record.published_snapshot is None and not tasks.exists()


def test_new_records_are_stored_as_the_services_store_them():
    run()
    records = [r for model in (Genre, Role, Band, Festival, Edition) for r in model.objects.all()]
    assert len(records) == 25
    for record in records:
        _stored_as_the_services_store_it(record)
    assert Band.objects.get(key="no-such-band").review_status == ReviewStatus.DRAFT  # the placeholder
    # the parts' own history: a member with its roles, a lineup entry, a band's genres under each band row
    anvil = Band.objects.get(key="iron-anvil")
    for row in anvil.history.all():
        assert [g.genre.key for g in sorted(row.genres.all(), key=lambda g: g.position)] == [
            g.key for g in ordered(anvil.genres)]
    member = anvil.members.get(name="Ann Vil")
    [member_row] = member.history.all()
    assert [r.role.key for r in sorted(member_row.roles.all(), key=lambda r: r.position)] == ["vocals", "guitar"]
    assert LineupEntry.history.count() == LineupEntry.objects.count()
    assert Member.history.count() == Member.objects.count()


def test_an_imported_band_reverts_to_its_imported_version_with_its_parts():
    run()
    band = Band.objects.get(key="iron-anvil")
    imported = band.history.order_by("history_date", "history_id").last()

    def vandalise(record):
        record.genres.set([Genre.objects.get(key="metalcore")])
        record.members.all().delete()

    band.name = "Vandalised"
    services.record_save(record=band, user=None, save_related=vandalise)
    services.record_revert(record=band, user=None, history_id=imported.history_id)
    band.refresh_from_db()
    assert build_snapshot(band) == imported.published_snapshot


def test_an_editors_later_change_still_goes_through_the_services():
    run()
    band = Band.objects.get(key="iron-anvil")
    band.description = "An editor's words."
    services.record_save(record=band, user=None, expected_version=band.version)
    report = run(load_legacy_file(DATA / "newer.json"), overwrite=True)
    band.refresh_from_db()
    assert report.counts["band"]["updated"] == 2 and band.description == "Louder."
    assert band.review_status == ReviewStatus.APPROVED and band.published_snapshot == build_snapshot(band)


def _file_with_extra_bands(n: int) -> dict:
    data = load_legacy_file(DATA / "small.json")
    data["bands"] += [
        {"key": f"extra-{i}", "name": f"Extra {i}", "country": "Norway", "genres": ["Black Metal", "Doom"],
         "members": [{"name": f"Singer {i}", "role": "Vocals"}, {"name": f"Player {i}", "roles": ["Guitar", "Bass"]}],
         "reviewed": True}
        for i in range(n)
    ]
    return data


def _queries(data) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        run(data, dry_run=True)  # everything is written, then rolled back: every query counted
    tasks = sum(1 for q in queries.captured_queries if 'INSERT INTO "publishing_publishtask"' in q["sql"])
    return len(queries), tasks


def test_the_queries_of_an_import_do_not_grow_with_its_records():
    """30 more bands, each with genres and members with roles: the same statements, publish tasks included (one
    signal for a kind's new records, one INSERT of their tasks), but for long INSERTs split in several (SQLite
    takes at most 999 parameters in one: 30-odd history rows, 90-odd tasks)."""
    small, small_tasks = _queries(_file_with_extra_bands(10))
    large, large_tasks = _queries(_file_with_extra_bands(40))
    assert large_tasks - small_tasks <= 1
    assert large - small <= 30 / 5
    assert small / (25 + 10) < 3  # a few bulk statements per kind, not ~80 queries a band


def test_no_line_per_record_on_the_console_while_importing(dynamodb_table, caplog):
    levels = [logging.getLogger(name).level for name in QUIET_LOGGERS]
    with quiet(*QUIET_LOGGERS):
        assert all(logging.getLogger(name).getEffectiveLevel() >= logging.WARNING for name in QUIET_LOGGERS)
    assert [logging.getLogger(name).level for name in QUIET_LOGGERS] == levels
    caplog.set_level(logging.INFO)
    call_command("import_legacy", str(DATA / "small.json"), stdout=io.StringIO(), stderr=io.StringIO())
    assert not [r for r in caplog.records if r.name == "metalfests.audit" or r.name.startswith("pynamodb")]
    assert Band.objects.count() == 6
