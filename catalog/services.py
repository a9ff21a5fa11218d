"""Every write to the catalog goes through these functions: the admin, the admin API and commands alike.

Each is keyword-only, checks permission and the starting state, runs in one
transaction, writes the audit entry, and signals publishing (in the same
transaction) when what the public sees changes. `user=None` means the system
(a management command run by an operator), which skips the permission check.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record as _audit_record

from .models import (
    Band,
    Edition,
    Festival,
    FestivalAlias,
    Genre,
    LineupEntry,
    Member,
    ReviewStatus,
    Role,
    key_validator,
)
from .signals import PublicChange, public_state_changed
from .snapshots import build_snapshot, snapshot_changes


class WorkflowError(ValidationError):
    """The record is not in a state that allows this transition."""


class ConcurrentEditError(ValidationError):
    """Someone saved the record since this edit started; nothing was overwritten."""

    def __init__(self, record, expected_version: int):
        self.record = record
        self.expected_version = expected_version
        super().__init__(
            f"{record._meta.verbose_name.capitalize()} “{record}” was changed by someone else while you were "
            f"editing it (your copy: version {expected_version}). Nothing was saved. Open its history to see "
            f"the other change, then reapply yours.",
            code="concurrent_edit",
        )


def audit_record(*, user=None, **fields):
    """Audit as `user` when a service was given one; otherwise as the actor of the current context."""
    if user is not None:
        fields["user"] = user
    return _audit_record(**fields)


def require_permission(user, action: str, record_or_model) -> None:
    """Raise PermissionDenied unless `user` holds catalog.<action>_<model>. None is the system."""
    if user is None:
        return
    codename = f"{action}_{record_or_model._meta.model_name}"
    if not user.has_perm(f"{record_or_model._meta.app_label}.{codename}"):
        raise PermissionDenied(f"You may not {action.replace('_', ' ')} {record_or_model._meta.verbose_name_plural}.")


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _publish_signal(record, change: str, *, before=None, after=None, previous_key=None) -> None:
    public_state_changed.send(
        sender=type(record), record=record, change=change, before=before, after=after, previous_key=previous_key
    )


# --- Saving the working copy ------------------------------------------------------------------


@transaction.atomic
def record_save(*, record, user, expected_version: int | None = None, save_related=None):
    """Save a working copy that the caller has changed in memory.

    `save_related(record)`, if given, saves the parts edited with it (members, lineup,
    many-to-many fields) inside the same transaction. `expected_version` is the version
    the editor started from: if the stored record has moved on, ConcurrentEditError is
    raised and nothing is written. An approved record whose public fields change goes
    back to draft; its public copy stays as it was until it is approved again.
    """
    is_new = record.pk is None
    require_permission(user, "add" if is_new else "change", record)
    model = type(record)
    if is_new:
        before = None
        record.version = 1
        record.review_status = ReviewStatus.DRAFT
    else:
        before = working_snapshot(record)
        _claim_version(record, expected_version)
    record.save()
    if save_related is not None:
        save_related(record)
    after = build_snapshot(record)
    if not is_new and record.review_status == ReviewStatus.APPROVED and after != record.published_snapshot:
        record.review_status = ReviewStatus.DRAFT
        model.objects.filter(pk=record.pk).update(review_status=ReviewStatus.DRAFT)
    audit_record(
        user=user, action=AuditAction.CREATE if is_new else AuditAction.UPDATE,
        obj=record,
        changes=snapshot_changes(before, after),
    )
    return record


def _claim_version(record, expected_version: int | None) -> None:
    """Bump the stored version, refusing if it is not the one the edit started from."""
    model = type(record)
    rows = model.objects.filter(pk=record.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if not rows.update(version=F("version") + 1):
        raise ConcurrentEditError(record, expected_version)
    record.version = model.objects.values_list("version", flat=True).get(pk=record.pk)


def working_snapshot(record) -> dict | None:
    """The public fields of the stored working copy (before an edit held in memory is saved)."""
    if record.pk is None:
        return None
    return build_snapshot(type(record).objects.get(pk=record.pk))


# --- Review workflow --------------------------------------------------------------------------


@transaction.atomic
def record_submit_for_review(*, record, user) -> None:
    require_permission(user, "submit", record)
    _lock(record)
    if record.review_status != ReviewStatus.DRAFT:
        raise WorkflowError(f"“{record}” is {record.get_review_status_display().lower()}; only drafts can be submitted.")
    record.review_status = ReviewStatus.IN_REVIEW
    record.submitted_by = _user_or_none(user)
    record.submitted_at = timezone.now()
    _save_state(record, "review_status", "submitted_by", "submitted_at")
    audit_record(user=user, action=AuditAction.SUBMIT, obj=record)


@transaction.atomic
def record_approve(*, record, user, skip_review: bool = False) -> None:
    """Make the working copy public: snapshot it, record who approved it, and signal publishing.

    Only records in review may be approved; `skip_review` (system use: the legacy
    import, whose records are public already) approves drafts too.
    """
    require_permission(user, "approve", record)
    _lock(record)
    allowed = {ReviewStatus.IN_REVIEW} | ({ReviewStatus.DRAFT} if skip_review else set())
    if record.review_status not in allowed:
        raise WorkflowError(
            f"“{record}” is {record.get_review_status_display().lower()}; only records in review can be approved."
        )
    before = record.published_snapshot
    after = build_snapshot(record)
    record.review_status = ReviewStatus.APPROVED
    record.approved_by = _user_or_none(user)
    record.approved_at = timezone.now()
    record.published_snapshot = after
    record.published_revision = F("published_revision") + 1
    _save_state(record, "review_status", "approved_by", "approved_at", "published_snapshot", "published_revision")
    record.refresh_from_db(fields=["published_revision"])
    audit_record(
        user=user, action=AuditAction.APPROVE, obj=record, changes=snapshot_changes(before, after),
        detail={"revision": record.published_revision},
    )
    _publish_signal(record, PublicChange.PUBLISH, before=before, after=after)


@transaction.atomic
def record_return_to_draft(*, record, user) -> None:
    """Send a record in review back to its editors. What is public does not change."""
    require_permission(user, "approve", record)
    _lock(record)
    if record.review_status != ReviewStatus.IN_REVIEW:
        raise WorkflowError(f"“{record}” is not in review; only records in review can be returned to draft.")
    record.review_status = ReviewStatus.DRAFT
    _save_state(record, "review_status")
    audit_record(user=user, action=AuditAction.RETURN_TO_DRAFT, obj=record)


@transaction.atomic
def record_unpublish(*, record, user) -> None:
    """Withdraw the public copy; the working copy stays, as a draft."""
    require_permission(user, "approve", record)
    _lock(record)
    if record.published_snapshot is None:
        raise WorkflowError(f"“{record}” is not published.")
    before = record.published_snapshot
    record.published_snapshot = None
    record.review_status = ReviewStatus.DRAFT
    record.published_revision = F("published_revision") + 1
    _save_state(record, "published_snapshot", "review_status", "published_revision")
    record.refresh_from_db(fields=["published_revision"])
    audit_record(user=user, action=AuditAction.UNPUBLISH, obj=record, changes=snapshot_changes(before, None))
    _publish_signal(record, PublicChange.UNPUBLISH, before=before)


@transaction.atomic
def record_delete(*, record, user) -> None:
    require_permission(user, "delete", record)
    before = record.published_snapshot
    label, pk = str(record), record.pk
    if isinstance(record, Band) and record.lineup_entries.exists():
        editions = ", ".join(str(e.edition) for e in record.lineup_entries.select_related("edition__festival")[:5])
        raise ValidationError(
            f"“{record}” is on the lineup of {editions}; remove it from those lineups first.", code="referenced"
        )
    audit_record(user=user, action=AuditAction.DELETE, obj=record, changes=snapshot_changes(before or build_snapshot(record), None))
    if before is not None:
        _publish_signal(record, PublicChange.DELETE, before=before)
    try:
        with transaction.atomic():
            record.delete()
    except models.ProtectedError as exc:
        raise ValidationError(f"“{label}” is still referenced and cannot be deleted: {exc.protected_objects}") from exc
    record.pk = pk  # receivers after commit may still want to name it


@transaction.atomic
def record_revert(*, record, user, history_id: int) -> None:
    """Restore the working copy to a historical version (its key excepted: renaming is deliberate),
    with its many-to-many fields and inline rows (a band's genres and members with their roles, an
    edition's lineup) as they were at that version's date. The record becomes a draft, to approve again.
    """
    require_permission(user, "approve", record)
    _lock(record)
    historical = record.history.get(history_id=history_id)
    before = build_snapshot(record)
    restored = historical.instance
    for field in record._meta.concrete_fields:
        if field.name in {"id", "key", "review_status", "published_snapshot", "published_revision", "version",
                          "approved_by", "approved_at", "submitted_by", "submitted_at"}:
            continue
        setattr(record, field.attname, getattr(restored, field.attname))
    record.review_status = ReviewStatus.DRAFT
    record.version += 1
    record.save()
    _restore_parts(record, historical)
    audit_record(
        user=user, action=AuditAction.REVERT, obj=record, changes=snapshot_changes(before, build_snapshot(record)),
        detail={"history_id": history_id},
    )


def _restore_parts(record, historical) -> None:
    # The record's row is saved before its parts in the same transaction, so its version's state is the
    # one just before the record's next version (or now, for the latest).
    following = (
        record.history.filter(history_date__gt=historical.history_date).order_by("history_date", "history_id").first()
    )
    at = following.history_date - timedelta(microseconds=1) if following else timezone.now()
    if isinstance(record, Band):
        record.genres.set(_existing(Genre, [row.genre_id for row in historical.genres.all()]))
        _restore_rows(Member, {"band_id": record.pk}, at, ("name", "order"), m2m=("roles", "role_id", Role))
    elif isinstance(record, Edition):
        _restore_rows(LineupEntry, {"edition_id": record.pk}, at, ("band_id", "billing_size", "order"),
                      requires=("band_id", Band))


def _existing(model, ids) -> list:
    """The ids that still exist (a genre, role or band deleted since cannot come back)."""
    return list(model.objects.filter(pk__in=ids).values_list("pk", flat=True))


def _restore_rows(model, scope: dict, at, fields: tuple, *, m2m=None, requires=None) -> None:
    """Replace the rows in `scope` by those that existed at `at` (same ids), with their many-to-many values."""
    past = list(model.history.as_of(at).filter(**scope))
    if requires is not None:
        attname, target = requires
        alive = set(_existing(target, [getattr(row, attname) for row in past]))
        past = [row for row in past if getattr(row, attname) in alive]
    model.objects.filter(**scope).delete()  # all at once: no transient clash on unique (edition, band)
    for old in past:
        row = model.objects.create(pk=old.pk, **scope, **{field: getattr(old, field) for field in fields})
        if m2m is not None:
            name, attname, target = m2m
            version = model.history.filter(id=old.pk, history_date__lte=at).latest("history_date", "history_id")
            getattr(row, name).set(_existing(target, [getattr(r, attname) for r in getattr(version, name).all()]))


# --- Keys -------------------------------------------------------------------------------------


@transaction.atomic
def record_rename_key(*, record, user, new_key: str) -> None:
    """Rename a key deliberately. A published festival's old key keeps answering, as a redirect."""
    require_permission(user, "approve", record)
    key_validator(new_key)
    _lock(record)
    old_key = record.key
    if new_key == old_key:
        return
    model = type(record)
    if model.objects.filter(key=new_key).exclude(pk=record.pk).exists() or (
        isinstance(record, Festival) and FestivalAlias.objects.filter(key=new_key).exclude(festival=record).exists()
    ):
        raise ValidationError(f"The key “{new_key}” is already taken.", code="key_taken")
    record.key = new_key
    record.version += 1  # the row is locked: no one else can move it on meanwhile
    try:
        record.save(update_fields=["key", "version"])
    except IntegrityError as exc:
        raise ValidationError(f"The key “{new_key}” is already taken.", code="key_taken") from exc
    record.refresh_from_db()
    if isinstance(record, Festival):
        FestivalAlias.objects.filter(key=new_key).delete()  # renaming back to a former key
        if record.published_snapshot is not None:
            FestivalAlias.objects.get_or_create(key=old_key, defaults={"festival": record})
    audit_record(user=user, action=AuditAction.RENAME, obj=record, changes={"key": [old_key, new_key]})
    if record.published_snapshot is not None:
        before = record.published_snapshot
        after = {**before, "key": new_key} if "key" in before else before
        record.published_snapshot = after
        record.published_revision = F("published_revision") + 1
        _save_state(record, "published_snapshot", "published_revision")
        record.refresh_from_db(fields=["published_revision"])
        _publish_signal(record, PublicChange.RENAME, before=before, after=after, previous_key=old_key)


# --- Bands ------------------------------------------------------------------------------------


@transaction.atomic
def band_set_reviewed(*, band, user, reviewed: bool = True) -> None:
    """Mark a band's facts as checked (a public field: the change waits for approval like any edit)."""
    require_permission(user, "change", band)
    if band.reviewed == reviewed:
        return
    band.reviewed = reviewed
    record_save(record=band, user=user)


# --- helpers ----------------------------------------------------------------------------------


def _lock(record) -> None:
    """Re-read the workflow state under a row lock so two transitions cannot interleave."""
    fresh = type(record).objects.select_for_update().get(pk=record.pk)
    for field in ("review_status", "published_snapshot", "published_revision", "version", "key"):
        if hasattr(fresh, field):
            setattr(record, field, getattr(fresh, field))


def _save_state(record, *fields: str) -> None:
    """Save workflow fields without touching the working copy (and without a history row per step)."""
    attnames = [record._meta.get_field(field).attname for field in fields]
    values = {attname: getattr(record, attname) for attname in attnames}
    type(record).objects.filter(pk=record.pk).update(updated_at=timezone.now(), **values)
