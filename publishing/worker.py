"""The worker: drains the outbox, one lease holder at a time, retrying failures with capped backoff.

`drain()` is called by `manage.py publish_pending`, right after commit locally
(`PUBLISH_ON_COMMIT`), and by the scheduled Lambda through `lambda_drain`.

Correctness under concurrency, on SQLite and PostgreSQL alike:
- a drain lease (one row, taken with a conditional UPDATE) lets one worker apply
  tasks at a time; its `token` grows with each acquisition and fences every DynamoDB
  write (`writer.Writer.ensure_fence`), so a worker whose lease lapsed cannot write
  after a newer holder; long jobs renew it as they go (`LeaseKeeper`);
- each task is claimed with a conditional UPDATE (pending/failed → running), so it is
  never applied twice even if two workers somehow ran;
- tasks of one record apply in id order: a task waits while an earlier one of the
  same record is unfinished (a failed one blocks its successors until it succeeds).
"""

import logging
import os
import random
import socket
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import django
from django.apps import apps

if not apps.ready and not apps.loading:  # the scheduled Lambda may import us before Django is set up
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metalfests.settings.production")
    django.setup()

from django.db import OperationalError  # noqa: E402
from django.db.models import F, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from . import conf  # noqa: E402
from .models import DrainLease, PublishTask, RebuildCheckpoint, TaskStatus  # noqa: E402

logger = logging.getLogger(__name__)

LEASE_NAME = "publish"
ERROR_LIMIT = 4000


def _retry_when_locked(function):
    """SQLite only: a write lock held by another connection ("database is locked", or "database
    table is locked" with a shared-cache database, which ignores the busy timeout) is waited out
    here, so that a worker never stops between applying a task and recording it."""

    def wrapper(*args, **kwargs):
        for attempt in range(200):
            try:
                return function(*args, **kwargs)
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == 199:
                    raise
                time.sleep(0.01 + random.uniform(0, 0.02))

    wrapper.__name__, wrapper.__doc__ = function.__name__, function.__doc__
    return wrapper


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- the lease ----------------------------------------------------------------------------------


@dataclass
class Lease:
    holder: str
    token: int
    acquired_at: object


@_retry_when_locked
def lease_acquire(holder: str, *, name: str = LEASE_NAME) -> Lease | None:
    """Take the lease if it is free or lapsed; None when another worker holds it."""
    DrainLease.objects.get_or_create(name=name)
    now = timezone.now()
    taken = (
        DrainLease.objects.filter(name=name)
        .filter(Q(holder="") | Q(expires_at__lt=now) | Q(expires_at__isnull=True))
        .update(holder=holder, token=F("token") + 1, expires_at=now + _lease_duration())
    )
    if not taken:
        return None
    token = DrainLease.objects.filter(name=name, holder=holder).values_list("token", flat=True).first()
    if token is None:  # taken from us between the two statements (only if our lease lapsed at once)
        return None
    return Lease(holder=holder, token=token, acquired_at=now)


@_retry_when_locked
def lease_renew(lease: Lease, *, name: str = LEASE_NAME) -> bool:
    return bool(
        DrainLease.objects.filter(name=name, holder=lease.holder, token=lease.token).update(
            expires_at=timezone.now() + _lease_duration()
        )
    )


@_retry_when_locked
def lease_release(lease: Lease, *, name: str = LEASE_NAME) -> None:
    DrainLease.objects.filter(name=name, holder=lease.holder, token=lease.token).update(holder="", expires_at=None)


@_retry_when_locked
def lease_adopt(lease: Lease, token: int, *, name: str = LEASE_NAME) -> bool:
    """Move our lease's token up to `token` (the table's fence is ahead of a restored database); False if not ours."""
    moved = DrainLease.objects.filter(name=name, holder=lease.holder, token=lease.token).update(token=token)
    if moved:
        lease.token = token
    return bool(moved)


class LeaseKeeper:
    """Keeps a lease while a long job works: `tick()` (called often) renews it every quarter of
    its duration and raises Fenced once it is lost; `alive()` tells writer threads to stop."""

    def __init__(self, lease: Lease, *, name: str = LEASE_NAME):
        self.lease, self.name = lease, name
        self.lost = False
        # counted from when the lease was taken or last renewed, not from when the keeper was made
        self.renewed = time.monotonic() - max((timezone.now() - lease.acquired_at).total_seconds(), 0.0)
        self.interval = conf.get("PUBLISH_LEASE_SECONDS") / 4

    def alive(self) -> bool:
        return not self.lost

    def tick(self) -> None:
        from .writer import Fenced

        if not self.lost and time.monotonic() - self.renewed >= self.interval:
            started = time.monotonic()
            if lease_renew(self.lease, name=self.name):
                self.renewed = started
            else:
                self.lost = True
                logger.warning("publishing: lease lost, stopping", extra={"holder": self.lease.holder})
        if self.lost:
            raise Fenced("the publishing lease was lost (it lapsed and another worker took it): stopped writing")


def _lease_duration() -> timedelta:
    return timedelta(seconds=conf.get("PUBLISH_LEASE_SECONDS"))


def acquire_waiting(holder: str, wait: float) -> Lease | None:
    deadline = time.monotonic() + wait
    while True:
        lease = lease_acquire(holder)
        if lease is not None or time.monotonic() >= deadline:
            return lease
        time.sleep(0.05)


# --- tasks ----------------------------------------------------------------------------------------


def due_tasks(lease: Lease | None = None):
    """Tasks ready to apply: pending, failed and due again, or left running by a worker that died."""
    now = timezone.now()
    ready = Q(status__in=[TaskStatus.PENDING, TaskStatus.FAILED], next_attempt_at__lte=now)
    if lease is not None:
        ready |= Q(status=TaskStatus.RUNNING, claimed_at__lt=lease.acquired_at)
    return PublishTask.objects.filter(ready).order_by("id")


@_retry_when_locked
def is_blocked(task: PublishTask) -> bool:
    """An earlier task of the same record is unfinished: this one must wait its turn."""
    from .releases import blocks

    return (
        PublishTask.objects.for_record(task.kind, task.record_pk).filter(id__lt=task.id).unfinished().exists()
        or blocks(task)
    )


@_retry_when_locked
def task_claim(task: PublishTask, lease: Lease) -> bool:
    """pending/failed (or orphaned running) → running, only if still so: a task is applied once."""
    now = timezone.now()
    claimable = Q(status__in=[TaskStatus.PENDING, TaskStatus.FAILED]) | Q(
        status=TaskStatus.RUNNING, claimed_at__lt=lease.acquired_at
    )
    claimed = (
        PublishTask.objects.filter(pk=task.pk)
        .filter(claimable)
        .update(status=TaskStatus.RUNNING, claimed_by=lease.holder, claimed_at=now, attempts=F("attempts") + 1)
    )
    if claimed:
        task.refresh_from_db()
    return bool(claimed)


def backoff_seconds(attempts: int) -> float:
    """Capped exponential backoff with "equal jitter": between half and all of the capped delay."""
    base, cap = conf.get("PUBLISH_RETRY_BASE_SECONDS"), conf.get("PUBLISH_RETRY_MAX_SECONDS")
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


@_retry_when_locked
def task_fail(task: PublishTask, error: BaseException, *, holder: str) -> None:
    PublishTask.objects.filter(pk=task.pk, claimed_by=holder).update(
        status=TaskStatus.FAILED,
        last_error=_error_text(error),
        next_attempt_at=timezone.now() + timedelta(seconds=backoff_seconds(task.attempts)),
    )


@_retry_when_locked
def task_record_failure(task: PublishTask, error: BaseException) -> None:
    """A task whose record could not be published: failed with the reason (retried with backoff)."""
    attempts = max(task.attempts, 1)
    PublishTask.objects.filter(pk=task.pk).update(
        status=TaskStatus.FAILED, last_error=_error_text(error), attempts=attempts,
        next_attempt_at=timezone.now() + timedelta(seconds=backoff_seconds(attempts)))


def _error_text(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).strip()[:ERROR_LIMIT]


@_retry_when_locked
def task_done(task: PublishTask, outcome, *, holder: str) -> None:
    PublishTask.objects.filter(pk=task.pk, claimed_by=holder).update(
        status=TaskStatus.DONE,
        done_at=timezone.now(),
        last_error="",
        items_written=F("items_written") + outcome.items_written,
        items_deleted=F("items_deleted") + outcome.items_deleted,
    )


def task_run(task, lease, apply, report, *, what: str = "task", about: str = "") -> None:
    """Claim `task` and apply it under the lease's fence token; record it done, or failed for a retry,
    in `report` (`what` and `about` name it in the report's errors and the log)."""
    if not task_claim(task, lease):
        return
    try:
        outcome = apply(task, token=lease.token)
    except Exception as exc:
        task_fail(task, exc, holder=lease.holder)
        report.failed += 1
        report.errors.append(f"task {task.pk}{about}: {type(exc).__name__}: {exc}")
        logger.warning("publishing: %s %s failed (attempt %s): %s", what, task.pk, task.attempts, exc)
    else:
        task_done(task, outcome, holder=lease.holder)
        report.applied += 1


@_retry_when_locked
def task_retry_now(task: PublishTask) -> bool:
    """A full admin asks for a failed task to be retried at the next drain (now, locally)."""
    return bool(
        PublishTask.objects.filter(pk=task.pk, status=TaskStatus.FAILED).update(
            status=TaskStatus.PENDING, next_attempt_at=timezone.now()
        )
    )


# --- draining -------------------------------------------------------------------------------------


@dataclass
class DrainReport:
    applied: int = 0
    failed: int = 0
    blocked: int = 0
    lease_busy: bool = False
    rebuild_pending: int = 0  # tasks of a bulk rebuild that stopped for time at a checkpoint (resumed next)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "applied": self.applied, "failed": self.failed, "blocked": self.blocked,
            "lease_busy": self.lease_busy, "rebuild_pending": self.rebuild_pending, "errors": self.errors[:10],
        }


def _default_apply(task: PublishTask, *, token: int):
    from .releases import KIND, release_apply
    from .services import task_apply

    return (release_apply if task.kind == KIND else task_apply)(task, token=token)


def drain(*, max_tasks: int | None = None, worker_id: str | None = None, wait_for_lease: float = 0.0,
          apply=None, max_passes: int = 20, time_budget: float | None = None, progress=None) -> DrainReport:
    """Apply every due task, in id order, under the lease; failures are recorded and retried later.

    Returns at once (`lease_busy`) when another worker holds the lease: that worker
    looks again for new tasks after releasing it, so nothing committed meanwhile waits.
    With `time_budget` (seconds) it stops in time: between tasks, or for a bulk of tasks at a
    checkpoint of its rebuild, which the next drain resumes (`report.rebuild_pending`).
    `progress(done, total)` counts tasks (entities for a bulk rebuild).
    """
    holder = worker_id or new_worker_id()
    bulk = apply is None  # an injected `apply` (tests) always goes task by task
    apply = apply or _default_apply
    report = DrainReport()
    deadline = time.monotonic() + time_budget if time_budget is not None else None
    for _ in range(max_passes):
        lease = acquire_waiting(holder, wait_for_lease)
        if lease is None:
            report.lease_busy = True
            return report
        try:
            from .releases import run_first

            run_first(lease, report)  # due releases go live, and their tasks apply, before anything else
            if bulk and max_tasks is None and _drain_bulk(lease, report, deadline, progress):
                blocked = set()
            else:
                blocked = _drain_pass(lease, apply, report, max_tasks, deadline, progress)
        finally:
            lease_release(lease)
        if max_tasks is not None and report.applied + report.failed >= max_tasks:
            break
        if report.rebuild_pending or (deadline is not None and time.monotonic() >= deadline):
            break
        # A task committed while we held the lease (its own drain found the lease busy,
        # or it committed with an id below our cursor): look again.
        if not _more_pending(blocked):
            break
        wait_for_lease = max(wait_for_lease, 1.0)
    return report


@_retry_when_locked
def _more_pending(blocked: set[int]) -> bool:
    return PublishTask.objects.filter(status=TaskStatus.PENDING).exclude(id__in=blocked).exists()


@_retry_when_locked
def _due_batch(lease: Lease, cursor: int) -> list[PublishTask]:
    return list(due_tasks(lease).filter(id__gt=cursor)[:100])


def _drain_bulk(lease: Lease, report: DrainReport, deadline: float | None = None, progress=None) -> bool:
    """Past PUBLISH_BULK_THRESHOLD due tasks, claim them all and apply them with one full rebuild
    (or resume the checkpointed one in progress, for the tasks it covers: later ones wait for it).
    Never while a release's task is unfinished: a full rebuild would write its records unordered."""
    from .releases import unfinished

    threshold = conf.get("PUBLISH_BULK_THRESHOLD")
    if unfinished().exists():
        return False
    checkpoint = RebuildCheckpoint.objects.filter(last_task__isnull=False).first()
    if checkpoint is not None:
        ids = list(due_tasks(lease).filter(id__lte=checkpoint.last_task).values_list("id", flat=True))
    else:
        ids = list(due_tasks(lease).values_list("id", flat=True)[: threshold + 1])
        if len(ids) <= threshold:
            return False
        ids = list(due_tasks(lease).values_list("id", flat=True))
    claimable = Q(status__in=[TaskStatus.PENDING, TaskStatus.FAILED]) | Q(
        status=TaskStatus.RUNNING, claimed_at__lt=lease.acquired_at
    )
    for start in range(0, len(ids), 500):
        PublishTask.objects.filter(id__in=ids[start:start + 500]).filter(claimable).update(
            status=TaskStatus.RUNNING, claimed_by=lease.holder, claimed_at=timezone.now(), attempts=F("attempts") + 1
        )
    tasks = list(PublishTask.objects.filter(status=TaskStatus.RUNNING, claimed_by=lease.holder))
    if not tasks:
        return False
    from .services import tasks_apply_in_bulk

    try:
        outcome, failed = tasks_apply_in_bulk(tasks, keeper=LeaseKeeper(lease), deadline=deadline, progress=progress)
    except Exception as exc:
        for task in tasks:
            task_fail(task, exc, holder=lease.holder)
        report.failed += len(tasks)
        report.errors.append(f"{len(tasks)} tasks applied together: {type(exc).__name__}: {exc}")
        logger.warning("publishing: bulk of %s tasks failed: %s", len(tasks), exc)
        return True
    if not outcome.complete:  # stopped for time at a checkpoint: the tasks stay claimed, the next drain resumes
        report.rebuild_pending = len(tasks)
        return True
    failed_ids = {t.pk for t in failed}
    PublishTask.objects.filter(status=TaskStatus.RUNNING, claimed_by=lease.holder).exclude(pk__in=failed_ids).update(
        status=TaskStatus.DONE, done_at=timezone.now(), last_error="",
    )
    PublishTask.objects.filter(pk=min(t.pk for t in tasks)).update(
        items_written=outcome.items_written, items_deleted=outcome.items_deleted
    )
    for task in PublishTask.objects.filter(pk__in=failed_ids):
        report.errors.append(f"task {task.pk}: {task.last_error}")
    report.failed += len(failed_ids & {t.pk for t in tasks})
    report.applied += len(tasks) - len(failed_ids & {t.pk for t in tasks})
    return True


def _drain_pass(lease: Lease, apply, report: DrainReport, max_tasks, deadline=None, progress=None) -> set[int]:
    """Apply due tasks in id order; return the ids left waiting behind an earlier task of their record."""
    cursor = 0
    blocked: set[int] = set()
    while True:
        batch = _due_batch(lease, cursor)
        if not batch:
            return blocked
        for task in batch:
            cursor = task.id
            if max_tasks is not None and report.applied + report.failed >= max_tasks:
                return blocked
            if deadline is not None and time.monotonic() >= deadline:
                return blocked  # leave the rest to the next run rather than be killed mid-task
            if not lease_renew(lease):
                logger.warning("publishing: lease lost, stopping", extra={"holder": lease.holder})
                return blocked
            if is_blocked(task):
                report.blocked += 1
                blocked.add(task.id)
                continue
            task_run(task, lease, apply, report)
            if progress is not None:
                progress(report.applied + report.failed, None)


LAMBDA_MARGIN_SECONDS = 10.0


def lambda_drain(event, context):
    """Entry point of the scheduled Lambda (Zappa `events`): drain the outbox once, within the invocation's time."""
    budget = _lambda_budget(context)
    if RebuildCheckpoint.objects.filter(last_task__isnull=True).exists():  # a republish in progress: carry it on
        from .services import LeaseBusy, republish

        try:
            rebuilt = republish(wait_for_lease=0.0, time_budget=budget)
        except LeaseBusy:
            return {"lease_busy": True}
        return {"republish": "complete" if rebuilt.complete else "resumes next run", "written": rebuilt.puts}
    return drain(wait_for_lease=0.0, time_budget=budget).as_dict()


def _lambda_budget(context) -> float | None:
    remaining = context.get_remaining_time_in_millis() / 1000 if hasattr(context, "get_remaining_time_in_millis") else None
    return max(remaining - LAMBDA_MARGIN_SECONDS, 1.0) if remaining is not None else None


def lambda_republish(event, context):
    """Start (or carry on) a full rebuild within this invocation; the scheduled drain resumes it after."""
    from .services import republish

    rebuilt = republish(wait_for_lease=5.0, time_budget=_lambda_budget(context), restart=bool(event.get("restart")))
    return {"complete": rebuilt.complete, "written": rebuilt.puts, "deleted": rebuilt.deletes}
