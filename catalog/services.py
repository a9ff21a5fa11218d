"""Every write to the catalog goes through these functions: the admin, the admin API and commands alike.

Each is keyword-only, checks permission and the starting state, runs in one
transaction, writes the audit entry, and signals publishing (in the same
transaction) when what the public sees changes. `user=None` means the system
(a management command run by an operator), which skips the permission check.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
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
from .ordering import set_ordered
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


class VersionRequiredError(WorkflowError):
    """A person's approval must name the version it approves."""

    def __init__(self, record):
        self.record = record
        super().__init__(
            f"Approving “{record}” needs the version you reviewed (the record's version, e.g. If-Match: "
            f"\"{record.version}\"), so that a change made after your review is never approved unseen.",
            code="version_required",
        )


class FourEyesError(PermissionDenied):
    """The two-pairs-of-eyes rule: who submitted or last edited a record does not approve it."""

    def __init__(self, record, user, why: str):
        self.record, self.why = record, why
        self.messages = [
            f"You {why} “{record}”, so someone else must approve it (two pairs of eyes). "
            f"Ask another approver{'; or, in an emergency, use the audited override' if may_override_four_eyes(user) else ''}."
        ]
        super().__init__(self.messages[0])


def may_override_four_eyes(user) -> bool:
    """Break glass on the two-pairs-of-eyes rule: superusers and full admins only, always with a justification."""
    from accounts.groups import FULL

    return bool(user is not None and (user.is_superuser or user.groups.filter(name=FULL).exists()))


def four_eyes_conflict(record, user) -> str:
    """Why `user` may not approve `record` under the two-pairs-of-eyes rule ("" when they may)."""
    if user is None or not getattr(settings, "REVIEW_FOUR_EYES", False):
        return ""
    if record.submitted_by_id is not None and record.submitted_by_id == user.pk:
        return "submitted"
    if record.last_edited_by_id is not None and record.last_edited_by_id == user.pk:
        return "last edited"
    return ""


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

# Fields that only the workflow writes. A content save never writes them, so a copy loaded before
# a workflow step (approve, unpublish, ...) cannot undo that step when it is saved later.
WORKFLOW_FIELDS = frozenset({
    "review_status", "submitted_by", "submitted_at", "approved_by", "approved_at",
    "published_snapshot", "published_revision", "version", "import_hash", "import_version", "created_at",
})


def content_fields(model) -> list[str]:
    """The concrete fields an editor's save may write (everything but the workflow's own fields)."""
    return [
        field.name for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in WORKFLOW_FIELDS
    ]


@transaction.atomic
def record_save(*, record, user, expected_version: int | None = None, save_related=None):
    """Save a working copy that the caller has changed in memory.

    Only content fields are written: the review state, the public snapshot and the version
    are the workflow's, re-read under a row lock. `save_related(record)`, if given, saves the
    parts edited with it (members, lineup, many-to-many fields) inside the same transaction.
    `expected_version` is the version the editor started from: if the stored record has moved
    on (an edit or any workflow step), ConcurrentEditError is raised and nothing is written.
    A change to the public fields of a record in review, or of an approved record, sends it
    back to draft: nobody approved it, so it needs a new review. Its public copy stays as it was.
    """
    is_new = record.pk is None
    require_permission(user, "add" if is_new else "change", record)
    model = type(record)
    record.last_edited_by = _user_or_none(user)
    _attribute_history(record, user, "Created" if is_new else "Edited")
    if is_new:
        before = None
        record.version = 1
        record.review_status = ReviewStatus.DRAFT
        record.published_snapshot = None
        record.published_revision = 0
        record.submitted_by = record.approved_by = record.submitted_at = record.approved_at = None
        record.save()
    else:
        stored = _locked(record, expected_version)
        if getattr(record, "key", None) != getattr(stored, "key", None) and stored.published_snapshot is not None:
            raise ValidationError(
                {"key": f"“{stored}” is public under the key “{stored.key}”: renaming it is a deliberate action "
                        f"(Rename key), not part of an edit."},
                code="key_change",
            )
        before = build_snapshot(stored)
        record.version = stored.version + 1
        record.save(update_fields=[*content_fields(model), "version"])
    if save_related is not None:
        save_related(record)
    after = build_snapshot(record)
    if not is_new and after != before:
        if record.review_status == ReviewStatus.IN_REVIEW:
            _step(record, user, "Back to draft: changed during review", review_status=ReviewStatus.DRAFT)
        elif record.review_status == ReviewStatus.APPROVED and after != record.published_snapshot:
            _step(record, user, "Back to draft: changed after approval", review_status=ReviewStatus.DRAFT)
    audit_record(
        user=user, action=AuditAction.CREATE if is_new else AuditAction.UPDATE,
        obj=record,
        changes=snapshot_changes(before, after),
    )
    return record


def working_snapshot(record) -> dict | None:
    """The public fields of the stored working copy (before an edit held in memory is saved)."""
    if record.pk is None:
        return None
    return build_snapshot(type(record).objects.get(pk=record.pk))


# --- Review workflow --------------------------------------------------------------------------
#
# Every step runs on the stored row under a lock, moves the version (so a copy loaded before the
# step cannot be saved over it), and writes a history row naming the step, who took it and when.


@transaction.atomic
def record_submit_for_review(*, record, user, expected_version: int | None = None) -> None:
    require_permission(user, "submit", record)
    _locked(record, expected_version)
    if record.review_status != ReviewStatus.DRAFT:
        raise WorkflowError(f"“{record}” is {record.get_review_status_display().lower()}; only drafts can be submitted.")
    _step(record, user, "Submitted for review", review_status=ReviewStatus.IN_REVIEW,
          submitted_by=_user_or_none(user), submitted_at=timezone.now())
    audit_record(user=user, action=AuditAction.SUBMIT, obj=record, detail={"version": record.version})


@transaction.atomic
def record_approve(*, record, user, expected_version: int | None = None, comment: str = "",
                   skip_review: bool = False, override_justification: str = "") -> None:
    """Make the working copy public: snapshot it, record who approved it, and signal publishing.

    An approval names the version it approves (`expected_version`, the version the approver
    saw): if the record has moved on since, ConcurrentEditError is raised and nothing changes.
    A person must name it; only the system (`user=None`: the legacy import, the demo loader)
    may approve without. Only records in review may be approved; `skip_review` (system use:
    the legacy import, whose records are public already) approves drafts too.
    With REVIEW_FOUR_EYES on, whoever submitted or last edited the record may not approve it
    (FourEyesError), superusers included, unless a superuser or full admin gives an
    `override_justification`: the approval then goes through and the audit entry names the override.
    """
    stored, conflict, override = _approval_checks(record, user, expected_version, skip_review, override_justification)
    for guard in approval_guards:
        if refusal := guard(record):
            raise WorkflowError(refusal)
    before = record.published_snapshot
    after = build_snapshot(stored)
    approved_version = record.version
    _step(record, user, _reason("Approved (own change, override)" if conflict else "Approved", comment), review_status=ReviewStatus.APPROVED,
          approved_by=_user_or_none(user), approved_at=timezone.now(), published_snapshot=after,
          published_revision=record.published_revision + 1)
    detail = {"revision": record.published_revision, "version": approved_version}
    if comment:
        detail["comment"] = comment
    if conflict:
        detail["four_eyes_override"] = {"why": f"approver {conflict} it", "justification": override}
    audit_record(user=user, action=AuditAction.APPROVE, obj=record, changes=snapshot_changes(before, after),
                 detail=detail)
    _publish_signal(record, PublicChange.PUBLISH, before=before, after=after)


def _approval_checks(record, user, expected_version, skip_review, override_justification):
    """What every approval checks, on the locked row: permission, version named and current, two pairs of eyes,
    state. Returns (stored row, four-eyes conflict overridden or "", the override's justification)."""
    require_permission(user, "approve", record)
    if user is not None and expected_version is None:
        raise VersionRequiredError(record)
    stored = _locked(record, expected_version)
    override = " ".join((override_justification or "").split())
    conflict = four_eyes_conflict(stored, user)
    if conflict and not (override and may_override_four_eyes(user)):
        raise FourEyesError(record, user, conflict)
    allowed = {ReviewStatus.IN_REVIEW} | ({ReviewStatus.DRAFT} if skip_review else set())
    if record.review_status not in allowed:
        raise WorkflowError(
            f"“{record}” is {record.get_review_status_display().lower()}; only records in review can be approved."
        )
    return stored, conflict, override


# Functions `(record) -> str` that may refuse a single record's approval with a reason ("" lets it through).
# Releases plug one in: a record waiting to go public with a scheduled release is not approved on its own.
approval_guards: list = []


# --- Approval as part of a group (releases) ------------------------------------------------------
#
# A release approves its records together and makes them public later: the approval and the go-live
# are separate steps here, each writing the record's history row; the release writes one audit entry
# for the group, and one publish task (no per-record signal).


def record_approve_for_later(*, record, user, expected_version: int | None, reason: str,
                             override_justification: str = "") -> dict:
    """Approve a record in review now, to go public later: returns the public snapshot approved (what will go live).

    The same checks as `record_approve` (version, two pairs of eyes, state); the public copy is not touched.
    Call inside the group's transaction.
    """
    stored, conflict, _ = _approval_checks(record, user, expected_version, False, override_justification)
    snapshot = build_snapshot(stored)
    _step(record, user, f"{reason} (own change, override)" if conflict else reason,
          review_status=ReviewStatus.APPROVED, approved_by=_user_or_none(user), approved_at=timezone.now())
    return snapshot


def record_go_live(*, record, snapshot: dict, reason: str) -> dict | None:
    """Make `snapshot` (approved earlier) the record's public copy; returns the public copy it replaces.

    The working copy and its review state stay as they are (an edit made since approval still waits for review).
    """
    _locked(record)
    before = record.published_snapshot
    _step(record, None, reason, published_snapshot=snapshot, published_revision=record.published_revision + 1)
    return before


def record_back_to_review(*, record, user, reason: str) -> None:
    """An approval withdrawn before going public (a release unscheduled or cancelled): approved → in review."""
    _locked(record)
    if record.review_status == ReviewStatus.APPROVED:
        _step(record, user, reason, review_status=ReviewStatus.IN_REVIEW)


@transaction.atomic
def record_return_to_draft(*, record, user, expected_version: int | None = None, reason: str = "") -> None:
    """Send a record in review back to its editors, with the reviewer's reason. What is public does not change."""
    require_permission(user, "approve", record)
    _locked(record, expected_version)
    if record.review_status != ReviewStatus.IN_REVIEW:
        raise WorkflowError(f"“{record}” is not in review; only records in review can be returned to draft.")
    _step(record, user, _reason("Returned to draft", reason), review_status=ReviewStatus.DRAFT)
    audit_record(user=user, action=AuditAction.RETURN_TO_DRAFT, obj=record,
                 detail={"version": record.version, **({"reason": reason} if reason else {})})


@transaction.atomic
def record_unpublish(*, record, user, expected_version: int | None = None) -> None:
    """Withdraw the public copy; the working copy stays, as a draft."""
    require_permission(user, "approve", record)
    _locked(record, expected_version)
    if record.published_snapshot is None:
        raise WorkflowError(f"“{record}” is not published.")
    before = record.published_snapshot
    _step(record, user, "Unpublished", published_snapshot=None, review_status=ReviewStatus.DRAFT,
          published_revision=record.published_revision + 1)
    audit_record(user=user, action=AuditAction.UNPUBLISH, obj=record, changes=snapshot_changes(before, None))
    _publish_signal(record, PublicChange.UNPUBLISH, before=before)


@transaction.atomic
def record_delete(*, record, user, expected_version: int | None = None) -> None:
    """Delete a record; a published one is removed from the public tier too.

    The public state is read from the stored row under a lock, not from the caller's copy: a copy
    loaded before an approval would otherwise delete the row and leave its public copy live.
    """
    require_permission(user, "delete", record)
    _locked(record, expected_version)
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
def record_revert(*, record, user, history_id: int, expected_version: int | None = None) -> None:
    """Restore the working copy to a historical version (its key excepted: renaming is deliberate),
    with its many-to-many fields and inline rows (a band's genres and members with their roles, an
    edition's lineup) as they were at that version's date. The record becomes a draft, to approve again.
    """
    require_permission(user, "approve", record)
    stored = _locked(record, expected_version)
    historical = record.history.get(history_id=history_id)
    before = build_snapshot(stored)
    restored = historical.instance
    fields = [name for name in content_fields(type(record)) if name != "key"]
    for name in fields:
        field = record._meta.get_field(name)
        setattr(record, field.attname, getattr(restored, field.attname))
    record.review_status = ReviewStatus.DRAFT
    record.version += 1
    record.last_edited_by = _user_or_none(user)
    _attribute_history(record, user, f"Reverted to the version of {historical.history_date:%Y-%m-%d %H:%M}")
    record.save(update_fields=[*fields, "review_status", "version", "last_edited_by"])
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
        past_genres = sorted(historical.genres.all(), key=lambda row: (getattr(row, "position", 0), row.pk))
        set_ordered(record.genres, _existing(Genre, [row.genre_id for row in past_genres]))
        _restore_rows(Member, {"band_id": record.pk}, at, ("name", "order"), m2m=("roles", "role_id", Role))
    elif isinstance(record, Edition):
        _restore_rows(LineupEntry, {"edition_id": record.pk}, at, ("band_id", "billing_size", "order"),
                      requires=("band_id", Band))


def _existing(model, ids) -> list:
    """The ids that still exist (a genre, role or band deleted since cannot come back), in the order given."""
    alive = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return [pk for pk in ids if pk in alive]


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
            past = sorted(getattr(version, name).all(), key=lambda r: (getattr(r, "position", 0), r.pk))
            set_ordered(getattr(row, name), _existing(target, [getattr(r, attname) for r in past]))


# --- Keys -------------------------------------------------------------------------------------


@transaction.atomic
def record_rename_key(*, record, user, new_key: str, expected_version: int | None = None) -> None:
    """Rename a key deliberately. A published festival's old key keeps answering, as a redirect."""
    require_permission(user, "approve", record)
    if not any(field.name == "key" for field in record._meta.concrete_fields):
        raise ValidationError(f"{record._meta.verbose_name_plural.capitalize()} have no key to rename.", code="no_key")
    key_validator(new_key)
    stored = _locked(record, expected_version)
    old_key = record.key = stored.key
    if new_key == old_key:
        return
    model = type(record)
    if model.objects.filter(key=new_key).exclude(pk=record.pk).exists() or (
        isinstance(record, Festival) and FestivalAlias.objects.filter(key=new_key).exclude(festival=record).exists()
    ):
        raise ValidationError(f"The key “{new_key}” is already taken.", code="key_taken")
    changes = {"key": new_key}
    before = record.published_snapshot
    if before is not None:
        changes["published_snapshot"] = {**before, "key": new_key} if "key" in before else before
        changes["published_revision"] = record.published_revision + 1
    try:
        with transaction.atomic():
            _step(record, user, f"Key renamed from {old_key} to {new_key}", **changes)
    except IntegrityError as exc:
        record.key = old_key
        raise ValidationError(f"The key “{new_key}” is already taken.", code="key_taken") from exc
    if isinstance(record, Festival):
        FestivalAlias.objects.filter(key=new_key).delete()  # renaming back to a former key
        if before is not None:
            FestivalAlias.objects.get_or_create(key=old_key, defaults={"festival": record})
    audit_record(user=user, action=AuditAction.RENAME, obj=record, changes={"key": [old_key, new_key]})
    if before is not None:
        _publish_signal(record, PublicChange.RENAME, before=before, after=record.published_snapshot,
                        previous_key=old_key)


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


def _locked(record, expected_version: int | None = None):
    """Lock and re-read the stored row; refuse if it has moved past `expected_version`.

    The workflow state of `record` is refreshed from the stored row, so no
    decision rests on a copy loaded earlier in the request. Returns the stored row.
    """
    stored = type(record).objects.select_for_update().get(pk=record.pk)
    if expected_version is not None and stored.version != expected_version:
        raise ConcurrentEditError(stored, expected_version)
    for name in WORKFLOW_FIELDS:
        attname = record._meta.get_field(name).attname
        setattr(record, attname, getattr(stored, attname))
    return stored


def _step(record, user, reason: str, **changes) -> None:
    """Apply one workflow step to the locked row: set `changes`, move the version, write a history row.

    The row saved is the stored one (not the caller's copy), so the history row shows what was
    really stored at that step; the caller's copy gets the new state.
    """
    row = type(record).objects.get(pk=record.pk)
    for name, value in changes.items():
        setattr(row, name, value)
    row.version += 1
    _attribute_history(row, user, reason)
    row.save(update_fields=[*changes, "version", "updated_at"])
    for name in (*changes, "version", "updated_at"):
        attname = row._meta.get_field(name).attname
        setattr(record, attname, getattr(row, attname))


def _attribute_history(record, user, reason: str) -> None:
    """Name who made the change and why on the history row the next save writes."""
    record._change_reason = reason[:100]
    if _user_or_none(user) is not None:
        record._history_user = user


def _reason(step: str, text: str) -> str:
    text = " ".join((text or "").split())
    return f"{step}: {text}" if text else step
