"""New records in bulk: what `record_save` and then `record_approve` write for each one, in a few queries a kind.

Most of what an import writes is new records. Through the services, one at a time, a band cost
about 80 queries (row locks, re-reads, snapshots read back, history of each many-to-many change,
one audit INSERT each). New records need none of the locking or re-reading: nobody else has seen
them. So each kind is inserted with bulk INSERTs, straight in the state the two services leave a
record in (approved: version 2, its snapshot public, revision 1; a placeholder band: a version 1
draft), with the history rows they write ("Created", then "Approved", the ordered many-to-many
rows with each), the same audit entries (create, then approve) and the same publish signal per
approved record, inside the import's transaction. A record that exists already goes through the
services as before. `tests/catalog/test_import_bulk.py` holds the result against the services'.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from simple_history.models import HistoricalRecords

from audit.models import AuditAction
from audit.services import audit_entry, audit_record_many
from catalog.models import BandGenre, LineupEntry, Member, MemberRole, ReviewStatus
from catalog.signals import PublicChange, public_states_changed
from catalog.snapshots import snapshot_changes


@dataclass
class NewRecord:
    """An unsaved record with its content fields set, and what the import knows of it."""

    record: object
    digest: str  # the import hash of its source
    approve: bool = True
    snapshot: dict = field(default_factory=dict)  # its public fields, as `build_snapshot` will read them
    genre_ids: list[int] = field(default_factory=list)  # a band's, in order
    members: list[tuple[str, list[int]]] = field(default_factory=list)  # a band's: (name, role ids in order)
    lineup: list[tuple[int, int | None]] = field(default_factory=list)  # an edition's: (band id, billing size)


def create(model, news: list[NewRecord]) -> None:
    """Insert new records of one model with their parts, history, audit entries and publish signals."""
    if not news:
        return
    created_at = timezone.now()
    approved_at = max(timezone.now(), created_at + timedelta(microseconds=1))  # history rows in their order
    for new in news:
        _as_saved(new, created_at, approved_at)
    model.objects.bulk_create([new.record for new in news])
    links, members, roles, lineup = _parts(news)
    records = [new.record for new in news]
    created = _history(model, records, "+", "Created", created_at, version=1, review_status=ReviewStatus.DRAFT,
                       published_snapshot=None, published_revision=0, approved_at=None, updated_at=created_at,
                       import_hash="", import_version=None)
    _m2m_history(model, created, links)
    _m2m_history(Member, _history(Member, members, "+", None, created_at), roles)
    _history(LineupEntry, lineup, "+", None, created_at)
    approved = [new for new in news if new.approve]
    rows = _history(model, [new.record for new in approved], "~", "Approved", approved_at,
                    import_hash="", import_version=None)
    _m2m_history(model, rows, links)
    _audit(news)
    if approved:  # one signal for the lot: publishing writes their tasks in one statement
        public_states_changed.send(sender=model, changes=[
            {"record": new.record, "change": PublicChange.PUBLISH, "before": None, "after": new.snapshot}
            for new in approved
        ])


def _as_saved(new: NewRecord, created_at, approved_at) -> None:
    """The record as the two services leave it (the import hash as the import writes it after them)."""
    record = new.record
    record.version = 2 if new.approve else 1
    record.review_status = ReviewStatus.APPROVED if new.approve else ReviewStatus.DRAFT
    record.published_snapshot = new.snapshot if new.approve else None
    record.published_revision = 1 if new.approve else 0
    record.submitted_by = record.approved_by = record.last_edited_by = None
    record.submitted_at = None
    record.approved_at = approved_at if new.approve else None
    record.import_hash, record.import_version = new.digest, record.version
    record.created_at = created_at
    record.updated_at = approved_at if new.approve else created_at


def _parts(news: list[NewRecord]):
    """Insert the ordered parts (a band's genres and members with their roles, an edition's lineup)."""
    links = BandGenre.objects.bulk_create([
        BandGenre(band_id=new.record.pk, genre_id=genre_id, position=position)
        for new in news for position, genre_id in enumerate(new.genre_ids)
    ])
    members = Member.objects.bulk_create([
        Member(band_id=new.record.pk, name=name, order=order)
        for new in news for order, (name, _roles) in enumerate(new.members)
    ])
    role_ids = [role_ids for new in news for _name, role_ids in new.members]
    roles = MemberRole.objects.bulk_create([
        MemberRole(member_id=member.pk, role_id=role_id, position=position)
        for member, ids in zip(members, role_ids, strict=True) for position, role_id in enumerate(ids)
    ])
    lineup = LineupEntry.objects.bulk_create([
        LineupEntry(edition_id=new.record.pk, band_id=band_id, billing_size=size, order=order)
        for new in news for order, (band_id, size) in enumerate(new.lineup)
    ])
    return links, members, roles, lineup


def _history(model, records: list, history_type: str, reason: str | None, date, **overrides) -> list:
    """One history row per saved row, as simple-history writes on `save()`, with `overrides` for the fields
    that held other values at that step (a record's first save, before its approval)."""
    historical = model.history.model
    rows = [
        historical(history_date=date, history_type=history_type, history_user=None, history_change_reason=reason,
                   **{**{f.attname: getattr(record, f.attname) for f in historical.tracked_fields}, **overrides})
        for record in records
    ]
    return historical.objects.bulk_create(rows)


def _m2m_history(model, history_rows: list, links: list) -> None:
    """Under each history row, the record's through rows as they are (what simple-history copies on a save)."""
    for m2m_field in model._meta.many_to_many:
        m2m_history = HistoricalRecords.m2m_models.get(m2m_field)
        if m2m_history is None:  # not in the record's history (an edition's bands: the lineup rows have their own)
            continue
        source, target = m2m_field.m2m_field_name(), m2m_field.m2m_reverse_field_name()
        by_record: dict[int, list] = {}
        for link in links:
            by_record.setdefault(getattr(link, f"{source}_id"), []).append(link)
        m2m_history.objects.bulk_create([
            m2m_history(history=row, id=link.pk, position=link.position,
                        **{f"{source}_id": row.id, f"{target}_id": getattr(link, f"{target}_id")})
            for row in history_rows for link in by_record.get(row.id, [])
        ])


def _audit(news: list[NewRecord]) -> None:
    """A create entry per record and an approve entry per approved one, as `record_save`/`record_approve` write."""
    entries = []
    for new in news:
        changes = snapshot_changes(None, new.snapshot)
        entries.append(audit_entry(action=AuditAction.CREATE, obj=new.record, changes=changes))
        if new.approve:
            entries.append(audit_entry(action=AuditAction.APPROVE, obj=new.record, changes=changes,
                                       detail={"revision": 1, "version": 1}))
    audit_record_many(entries)
