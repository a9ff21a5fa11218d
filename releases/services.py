"""The release workflow: every change to a release goes through these functions (admin, admin API, worker).

draft ──approve (now or at a time)──▶ scheduled ──the time comes (worker)──▶ live
  ▲                                      │
  └────────────── unschedule ────────────┘        draft or scheduled ──cancel──▶ cancelled

Approving checks the group as a whole (every record in review, within the limits, every
reference resolving inside the release or to a public record), approves each record with
the same rules as a single approval (the version reviewed, two pairs of eyes), freezes
the approved public snapshots on the release and writes one audit entry listing them.
Going live sets every record's public copy in one transaction with one publish task.
"""

import hashlib
import logging
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from catalog import limits
from catalog import services as catalog
from catalog.models import REVIEWABLE_MODELS, Band, Festival, Genre, ReviewStatus, Role
from catalog.snapshots import build_snapshot
from publishing import releases as publishing

from . import clock
from .models import Release, ReleaseItem, ReleaseState

logger = logging.getLogger(__name__)

MAX_RECORDS = 500  # one publish task names them all; the admin lists them on one page
RETRY_BASE_SECONDS, RETRY_MAX_SECONDS = 30, 15 * 60
_KIND_ORDER = {"genre": 0, "role": 1, "band": 2, "festival": 3, "edition": 4}


class ReleaseStateError(catalog.WorkflowError):
    """The release is not in a state that allows this step."""


class ReleaseChangedError(ValidationError):
    """The release or one of its records changed since the approver looked at it; nothing was approved."""

    def __init__(self, release, expected: str, current: str):
        self.release, self.expected, self.current = release, expected, current
        super().__init__(
            f"Release “{release}” or one of its records changed since you reviewed it (your copy: {expected}, "
            f"now: {current}). Nothing was approved. Look at its content and preview again.",
            code="concurrent_edit",
        )


class ReleaseInvalidError(ValidationError):
    """The release as a whole breaks a rule (a reference resolving nowhere, a record not in review, a limit)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(problems, code="release_invalid")


class FingerprintRequiredError(catalog.WorkflowError):
    """Approving a release must name the state of it that was reviewed."""

    def __init__(self, release, current: str):
        self.release, self.current = release, current
        super().__init__(
            f"Approving “{release}” needs the release's version you reviewed (its ETag, e.g. If-Match: "
            f"\"{current}\"), so that a record changed after your review is never approved unseen.",
            code="version_required",
        )


# --- reading ------------------------------------------------------------------------------------


def release_records(release) -> list[tuple[ReleaseItem, object]]:
    """(item, record or None if deleted) in publishing order: genres, roles, bands, festivals, editions."""
    items = list(release.items.select_related("content_type"))
    by_model: dict = {}
    for item in items:
        by_model.setdefault(item.content_type.model_class(), []).append(item.object_pk)
    records = {}
    for model, pks in by_model.items():
        queryset = model.objects.filter(pk__in=pks)
        if model._meta.model_name == "edition":
            queryset = queryset.select_related("festival")
        records.update({(model._meta.model_name, r.pk): r for r in queryset})
    pairs = [(item, records.get((item.content_type.model, item.object_pk))) for item in items]
    return sorted(pairs, key=lambda pair: (_KIND_ORDER.get(pair[0].content_type.model, 9), pair[0].label))


def release_fingerprint(release) -> str:
    """The reviewed state of a release: its version and every record's version (an approval names it)."""
    parts = [str(release.version)]
    for item, record in release_records(release):
        parts.append(f"{item.content_type.model}:{item.object_pk}:{record.version if record else 'gone'}")
    digest = hashlib.sha256("|".join(sorted(parts[1:])).encode()).hexdigest()[:10]
    return f"{release.version}-{digest}"


def release_for_record(record):
    """The open release (draft or scheduled) that holds `record`, or None."""
    content_type = ContentType.objects.get_for_model(record)
    item = (ReleaseItem.objects.filter(content_type=content_type, object_pk=record.pk, release__state__in=[
        ReleaseState.DRAFT, ReleaseState.SCHEDULED]).select_related("release").first())
    return item.release if item else None


def local_time(release) -> datetime | None:
    """The go-live time in the zone it was promised in."""
    if release.publish_at is None:
        return None
    return timezone.localtime(release.publish_at, _zone(release.time_zone))


def proposed_snapshots(release) -> list[tuple[object, dict]]:
    """(record, the public snapshot it would go live with): frozen once approved, the working copy before."""
    pairs = []
    for item, record in release_records(release):
        if record is None:
            continue
        frozen = item.approved_snapshot if release.state == ReleaseState.SCHEDULED else None
        pairs.append((record, frozen or build_snapshot(record)))
    return pairs


def release_problems(release, *, pairs=None, frozen: bool = False) -> list[str]:
    """Why the release cannot be approved (or go live, `frozen`) as it stands; [] when it can.

    Every lineup entry must name a band of the release or a public band; an edition's festival, a band's
    genres and its members' roles likewise; every record in review (for an approval) and within the limits.
    """
    problems = []
    records = release_records(release)
    if not records:
        return ["The release has no records: add some first."]
    if len(records) > MAX_RECORDS:
        problems.append(f"The release has {len(records)} records; at most {MAX_RECORDS} go public together.")
    for item, record in records:
        if record is None:
            problems.append(f"{item.content_type.name.capitalize()} “{item.label}” was deleted: remove it from the release.")
        elif not frozen and record.review_status != ReviewStatus.IN_REVIEW:
            problems.append(f"{record._meta.verbose_name.capitalize()} “{record}” is "
                            f"{record.get_review_status_display().lower()}: only records in review can be approved.")
        if record is not None and not frozen:
            try:
                limits.check_record(record)
            except ValidationError as exc:
                problems.append(f"“{record}”: {' '.join(exc.messages)}")
    pairs = pairs if pairs is not None else (
        [(record, item.approved_snapshot) for item, record in records if record is not None and item.approved_snapshot]
        if frozen else proposed_snapshots(release))
    problems += _unresolved(pairs)
    return problems


def _unresolved(pairs) -> list[str]:
    inside: dict[str, set] = {"genre": set(), "role": set(), "band": set(), "festival": set()}
    for record, snapshot in pairs:
        if "key" in snapshot:
            inside[record._meta.model_name].add(snapshot["key"])

    def public(model, keys) -> set:
        return set(model.objects.published().filter(key__in=keys).values_list("key", flat=True))

    wanted = {"genre": set(), "role": set(), "band": set(), "festival": set()}
    for record, snapshot in pairs:
        kind = record._meta.model_name
        if kind == "edition":
            wanted["festival"].add(snapshot["festivalKey"])
            wanted["band"] |= {entry["key"] for entry in snapshot.get("bands") or []}
        elif kind == "band":
            wanted["genre"] |= set(snapshot.get("genreKeys") or [])
            wanted["role"] |= {key for member in snapshot.get("members") or [] for key in member.get("roleKeys") or []}
    models = {"genre": Genre, "role": Role, "band": Band, "festival": Festival}
    missing = {kind: keys - inside[kind] - public(models[kind], keys - inside[kind]) for kind, keys in wanted.items()}
    problems = []
    for record, snapshot in pairs:
        kind = record._meta.model_name
        if kind == "edition":
            if snapshot["festivalKey"] in missing["festival"]:
                problems.append(f"“{record}”: its festival “{snapshot['festivalKey']}” is not public and not in the "
                                "release.")
            bands = [entry["key"] for entry in snapshot.get("bands") or [] if entry["key"] in missing["band"]]
            if bands:
                problems.append(f"“{record}”: the lineup names bands that are not public and not in the release: "
                                f"{', '.join(bands)}. Add them to the release.")
        elif kind == "band":
            genres = [key for key in snapshot.get("genreKeys") or [] if key in missing["genre"]]
            roles = sorted({key for member in snapshot.get("members") or [] for key in member.get("roleKeys") or []
                            if key in missing["role"]})
            if genres or roles:
                problems.append(f"“{record}”: genres or roles not public and not in the release: "
                                f"{', '.join(genres + roles)}. Add them to the release.")
    return problems


# --- editing a draft ------------------------------------------------------------------------------


def _require(user, codename: str) -> None:
    if user is not None and not user.has_perm(f"releases.{codename}"):
        raise PermissionDenied(f"You may not {codename.split('_')[0]} releases.")


def _locked(release, expected_version: int | None = None) -> Release:
    stored = Release.objects.select_for_update().get(pk=release.pk)
    if expected_version is not None and stored.version != expected_version:
        raise ReleaseChangedError(release, str(expected_version), str(stored.version))
    for field in Release._meta.concrete_fields:
        setattr(release, field.attname, getattr(stored, field.attname))
    return stored


def _save(release, **changes) -> None:
    changes["version"] = release.version + 1
    Release.objects.filter(pk=release.pk).update(**changes)
    for name, value in changes.items():
        setattr(release, name, value)


def release_create(*, name: str, user, description: str = "") -> Release:
    _require(user, "add_release")
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Name the release (e.g. “Hellfest 2027: 20 new bands”)."})
    release = Release.objects.create(name=name[:200], description=description or "",
                                     created_by=catalog._user_or_none(user))
    audit_record(user=user, action=AuditAction.CREATE, obj=release, detail={"name": release.name})
    return release


@transaction.atomic
def release_add_records(*, release, records, user, expected_version: int | None = None) -> list[ReleaseItem]:
    """Add records to a draft release; a record already in another open release is refused (one promise per record)."""
    _require(user, "change_release")
    _locked(release, expected_version)
    if release.state != ReleaseState.DRAFT:
        raise ReleaseStateError(f"“{release}” is {release.get_state_display().lower()}: records are added to drafts only.")
    added, refused = [], []
    for record in records:
        if not isinstance(record, REVIEWABLE_MODELS):
            raise ValidationError(f"{type(record).__name__} records do not go through review: not in a release.")
        elsewhere = release_for_record(record)
        if elsewhere is not None and elsewhere.pk != release.pk:
            refused.append(f"“{record}” is in release “{elsewhere}” already.")
            continue
        content_type = ContentType.objects.get_for_model(record)
        item, created = ReleaseItem.objects.get_or_create(
            release=release, content_type=content_type, object_pk=record.pk,
            defaults={"label": str(record)[:255], "added_by": catalog._user_or_none(user)})
        if created:
            added.append(item)
    if refused:
        raise ValidationError(refused, code="in_other_release")
    if added:
        _save(release)
        audit_record(user=user, action=AuditAction.UPDATE, obj=release,
                     detail={"added": [f"{i.content_type.model} {i.label}" for i in added]})
    return added


@transaction.atomic
def release_remove_item(*, release, item_id: int, user, expected_version: int | None = None) -> None:
    _require(user, "change_release")
    _locked(release, expected_version)
    if release.state != ReleaseState.DRAFT:
        raise ReleaseStateError(f"“{release}” is {release.get_state_display().lower()}: unschedule it to change it.")
    item = release.items.filter(pk=item_id).first()
    if item is None:
        raise ValidationError(f"“{release}” has no item {item_id}.", code="not_found")
    item.delete()
    _save(release)
    audit_record(user=user, action=AuditAction.UPDATE, obj=release, detail={"removed": [f"{item.kind} {item.label}"]})


# --- approving and scheduling -----------------------------------------------------------------------


def _zone(name: str):
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError({"timeZone": f"Unknown time zone {name!r}: use an IANA name such as Europe/Paris."}) from exc


def _moment(publish_at, time_zone: str):
    """An aware go-live time; a naive one is read in `time_zone` (the editor's zone). None: now."""
    zone = _zone(time_zone)
    if publish_at is None:
        return clock.now()
    if timezone.is_naive(publish_at):
        publish_at = publish_at.replace(tzinfo=zone)
    return publish_at


@transaction.atomic
def release_approve(*, release, user, fingerprint: str | None, publish_at=None, time_zone: str = "UTC",
                    comment: str = "", override_justification: str = "") -> Release:
    """Approve the release as one, to go public at `publish_at` (None: at once, by the next worker run).

    `fingerprint` is the release's state the approver reviewed (`release_fingerprint`): a person must
    name it, and a change since (a record edited, added or removed) refuses the approval. Each record is
    approved as a single approval would be (its version, two pairs of eyes, with the same override).
    """
    _require(user, "approve_release")
    _locked(release)
    current = release_fingerprint(release)
    if user is not None and not fingerprint:
        raise FingerprintRequiredError(release, current)
    if fingerprint and fingerprint != current:
        raise ReleaseChangedError(release, fingerprint, current)
    if release.state != ReleaseState.DRAFT:
        raise ReleaseStateError(f"“{release}” is {release.get_state_display().lower()}; only drafts are approved.")
    moment = _moment(publish_at, time_zone)
    problems = release_problems(release)
    if problems:
        raise ReleaseInvalidError(problems)
    when = timezone.localtime(moment, _zone(time_zone)).strftime("%Y-%m-%d %H:%M %Z")
    reason = catalog._reason(f"Approved with release “{release.name}”, public {when}", comment)[:100]
    listed = []
    for item, record in release_records(release):
        version = record.version
        snapshot = catalog.record_approve_for_later(record=record, user=user, expected_version=version, reason=reason,
                                                    override_justification=override_justification)
        ReleaseItem.objects.filter(pk=item.pk).update(approved_snapshot=snapshot, approved_version=version,
                                                      label=str(record)[:255])
        listed.append({"kind": item.content_type.model, "id": record.pk, "record": str(record), "version": version})
    _save(release, state=ReleaseState.SCHEDULED, publish_at=moment, time_zone=time_zone or "UTC",
          approved_by=catalog._user_or_none(user), approved_at=timezone.now(), attempts=0, last_error="",
          next_attempt_at=None, alerted_at=None)
    detail = {"records": listed, "publishAt": moment.isoformat(), "timeZone": release.time_zone}
    if comment:
        detail["comment"] = comment
    if override_justification:
        detail["four_eyes_override"] = {"justification": " ".join(override_justification.split())}
    audit_record(user=user, action=AuditAction.APPROVE, obj=release, detail=detail)
    if moment <= clock.now() and settings.PUBLISH_ON_COMMIT:
        from publishing.outbox import drain_after_commit

        transaction.on_commit(drain_after_commit)
    return release


@transaction.atomic
def record_schedule(*, record, user, expected_version: int | None, publish_at, time_zone: str = "UTC",
                    comment: str = "", override_justification: str = "") -> Release:
    """Approve one record now to go public at `publish_at`: a release of that record alone, approved at once.

    `expected_version` is the record's version the approver reviewed, as for a single approval."""
    if user is not None and expected_version is None:
        raise catalog.VersionRequiredError(record)
    stored = type(record).objects.select_for_update().get(pk=record.pk)
    if expected_version is not None and stored.version != expected_version:
        raise catalog.ConcurrentEditError(stored, expected_version)
    release = release_create(name=f"Scheduled: {stored}"[:200], user=user)
    release_add_records(release=release, records=[stored], user=user)
    release.refresh_from_db()
    return release_approve(release=release, user=user, fingerprint=release_fingerprint(release), publish_at=publish_at,
                           time_zone=time_zone, comment=comment, override_justification=override_justification)


@transaction.atomic
def release_reschedule(*, release, user, publish_at, time_zone: str | None = None,
                       expected_version: int | None = None) -> Release:
    """Move the go-live time of a scheduled release (before it has gone live); the approval stands."""
    _require(user, "approve_release")
    _locked(release, expected_version)
    if release.state != ReleaseState.SCHEDULED:
        raise ReleaseStateError(f"“{release}” is {release.get_state_display().lower()}; only scheduled releases move.")
    zone = time_zone or release.time_zone
    moment = _moment(publish_at, zone)
    before = release.publish_at
    _save(release, publish_at=moment, time_zone=zone, next_attempt_at=None)
    audit_record(user=user, action=AuditAction.UPDATE, obj=release,
                 changes={"publishAt": [before.isoformat() if before else None, moment.isoformat()]})
    return release


def _withdraw(release, user, reason: str) -> None:
    for _item, record in release_records(release):
        if record is not None:
            catalog.record_back_to_review(record=record, user=user, reason=reason)
    release.items.update(approved_snapshot=None, approved_version=None)


@transaction.atomic
def release_unschedule(*, release, user, expected_version: int | None = None) -> Release:
    """Take back a scheduled release before its time: a draft again, its records back in review."""
    _require(user, "approve_release")
    _locked(release, expected_version)
    if release.state != ReleaseState.SCHEDULED:
        raise ReleaseStateError(f"“{release}” is {release.get_state_display().lower()}; only a scheduled release "
                                "can be unscheduled.")
    _withdraw(release, user, f"Release “{release.name}” unscheduled: back in review"[:100])
    _save(release, state=ReleaseState.DRAFT, publish_at=None, approved_by=None, approved_at=None)
    audit_record(user=user, action=AuditAction.UPDATE, obj=release, detail={"unscheduled": True})
    return release


@transaction.atomic
def release_cancel(*, release, user, expected_version: int | None = None) -> Release:
    """Give up a draft or scheduled release; its records stay as they are (a scheduled one's go back in review)."""
    _require(user, "approve_release")
    _locked(release, expected_version)
    if release.state not in (ReleaseState.DRAFT, ReleaseState.SCHEDULED):
        raise ReleaseStateError(f"“{release}” is {release.get_state_display().lower()}; it cannot be cancelled.")
    if release.state == ReleaseState.SCHEDULED:
        _withdraw(release, user, f"Release “{release.name}” cancelled: back in review"[:100])
    _save(release, state=ReleaseState.CANCELLED, publish_at=None)
    audit_record(user=user, action=AuditAction.UPDATE, obj=release, detail={"cancelled": True})
    return release


def guard_single_approval(record) -> str:
    """A record of an open release goes public with it, never alone (a single approval would break the embargo)."""
    release = release_for_record(record)
    if release is None:
        return ""
    if release.state == ReleaseState.SCHEDULED:
        return (f"“{record}” goes public with release “{release}” at {local_time(release):%Y-%m-%d %H:%M %Z}; "
                "unschedule the release to change that.")
    return f"“{record}” is part of release “{release}”: approve the release, or remove it from the release first."


# --- going live (the publishing worker, under its lease) ---------------------------------------------


def release_go_live(*, release) -> bool:
    """Set every record's public copy to the snapshot approved with the release, and write one publish task,
    in one transaction. False when the release is no longer due (unscheduled or moved meanwhile)."""
    with transaction.atomic():
        _locked(release)
        if release.state != ReleaseState.SCHEDULED or release.publish_at is None or release.publish_at > clock.now():
            return False
        records = release_records(release)
        problems = release_problems(release, frozen=True)
        if problems:
            raise ReleaseInvalidError(problems)
        members = []
        for item, record in records:
            snapshot = item.approved_snapshot
            before = catalog.record_go_live(record=record, snapshot=snapshot,
                                            reason=f"Public with release “{release.name}”"[:100])
            members.append({"kind": item.content_type.model, "pk": record.pk,
                            "key": getattr(record, "key", "") or "", "before": before, "after": snapshot})
        task = publishing.task_enqueue(release_pk=release.pk, name=release.name, records=members)
        _save(release, state=ReleaseState.LIVE, went_live_at=clock.now(), publish_task_id=task.pk, last_error="")
        audit_record(user=None, action=AuditAction.PUBLISH, obj=release, actor_name="publishing worker",
                     detail={"records": [f"{m['kind']} {m['key'] or m['pk']}" for m in members], "task": task.pk})
    return True


def releases_go_live_due() -> int:
    """Take every due release live (called by the publishing worker each run); returns how many went live.

    A release that fails to go live stays scheduled, with its error, and is retried with backoff; the
    people on duty are told once.
    """
    now = clock.now()
    due = Release.objects.filter(state=ReleaseState.SCHEDULED, publish_at__lte=now).order_by("publish_at", "pk")
    went = 0
    for release in due:
        if release.next_attempt_at is not None and release.next_attempt_at > now:
            continue
        try:
            went += release_go_live(release=release)
        except Exception as exc:  # recorded on the release, retried, and told: never silently dropped
            _record_failure(release, exc)
    return went


def _record_failure(release, exc: Exception) -> None:
    text = " ".join(exc.messages) if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
    attempts = release.attempts + 1
    delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    Release.objects.filter(pk=release.pk).update(attempts=attempts, last_error=text[:4000],
                                                 next_attempt_at=clock.now() + timedelta(seconds=delay))
    logger.warning("releases: %s did not go live (attempt %s): %s", release, attempts, text)
    if release.alerted_at is None and _alert_on_duty(release, text):
        Release.objects.filter(pk=release.pk).update(alerted_at=timezone.now())


def _alert_on_duty(release, error: str) -> bool:
    from django.urls import reverse

    from notifications.selectors import on_duty_emails

    to = on_duty_emails()
    if not to:
        return False
    url = settings.ADMIN_BASE_URL.rstrip("/") + reverse("admin:releases_release_change", args=[release.pk])
    body = (f"Release “{release}” was due at {local_time(release):%Y-%m-%d %H:%M %Z} and has not gone live.\n\n"
            f"Why: {error}\n\nThe worker retries it every run (with backoff). Open it: {url}\n")
    try:
        return bool(get_connection().send_messages([EmailMessage(
            subject=f"Metal Fests: release “{release}” did not go live", body=body, to=to)]))
    except Exception:  # noqa: BLE001  (the failure is on the release and in the log; the next run retries the mail)
        logger.exception("releases: alert e-mail not sent")
        return False
