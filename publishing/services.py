"""Publishing's actions: apply one task, republish everything, preview a record before approval.

Each is called alike by the worker, the management commands and the admin.
"""

import json
import logging
import sys
from dataclasses import dataclass, field

from catalog.snapshots import build_snapshot

from . import cdn, conf, invalidation
from .models import PublishTask
from .projector import Entity, PublicCatalog, entities_for_task
from .writer import BATCH_WRITE_MAX, Writer

logger = logging.getLogger(__name__)


@dataclass
class TaskOutcome:
    items_written: int = 0
    items_deleted: int = 0
    items_unchanged: int = 0
    items_stale: int = 0
    invalidation_items: list[str] = field(default_factory=list)
    changed_paths: list[str] = field(default_factory=list)


def _partitions(entities) -> list[tuple[str, str | None]]:
    return [p for entity in sorted(entities) for p in entity.partitions()]


def task_apply(task: PublishTask, *, token: int, writer: Writer | None = None) -> TaskOutcome:
    """Rebuild every entity the task touches, write what changed (conditioned on `rev`), invalidate.

    What to invalidate is saved on the task *before* writing: if DynamoDB or the CDN
    fails half-way, the retry (which finds those items already written, so unchanged)
    still invalidates them.
    """
    writer = writer or Writer()
    catalog = PublicCatalog()
    entities = entities_for_task(task, catalog)
    desired = catalog.items_for(entities, rev=token)
    stored = writer.read(_partitions(entities))
    plan = writer.plan(desired, stored, rev=token)
    changed = [(i.PK, i.SK) for i in plan.puts] + plan.deletes
    items = cdn.normalise_items([*task.invalidation_items, *invalidation.items_for_changes(changed)])
    answers = sorted({*task.changed_paths, *invalidation.answers_for_changes(plan.puts, plan.deletes, stored)})
    if items != task.invalidation_items or answers != task.changed_paths:
        PublishTask.objects.filter(pk=task.pk).update(invalidation_items=items, changed_paths=answers)
        task.invalidation_items, task.changed_paths = items, answers
    result = writer.write_conditional(plan, rev=token)
    cdn.invalidate(items, scope=f"task-{task.pk}", task=task, changed_paths=answers)
    return TaskOutcome(
        items_written=len(result.written), items_deleted=len(result.deleted), items_unchanged=plan.unchanged,
        items_stale=len(result.stale), invalidation_items=items, changed_paths=answers,
    )


# --- republish ------------------------------------------------------------------------------------


@dataclass
class RepublishReport:
    desired: int = 0
    stored: int = 0
    puts: int = 0
    deletes: int = 0
    unchanged: int = 0
    dry_run: bool = False
    invalidation_items: list[str] = field(default_factory=list)
    changed_paths: list[str] = field(default_factory=list)
    put_keys: list = field(default_factory=list)
    delete_keys: list = field(default_factory=list)


class LeaseBusy(RuntimeError):
    """A worker is applying tasks; republish waits for no one and asks to be run again."""


def republish(*, dry_run: bool = False, progress=None, writer: Writer | None = None,
              wait_for_lease: float = 30.0) -> RepublishReport:
    """Rebuild the whole table from the approved snapshots: write what is missing or different,
    delete what is no longer published, invalidate what changed. Holds the drain lease meanwhile.

    Entities are projected one after another while a single BatchWriteItem stream writes
    the full batches already planned (`BatchPipeline`): projection overlaps the network.
    `progress(done, total)` counts entities.
    """
    from .worker import acquire_waiting, lease_release, new_worker_id

    writer = writer or Writer()
    lease = acquire_waiting(f"republish:{new_worker_id()}", wait_for_lease)
    if lease is None:
        raise LeaseBusy("a worker holds the publishing lease; try again in a moment")
    try:
        stored = writer.scan()
        catalog = PublicCatalog()
        entities = sorted(catalog.all_entities())
        report = RepublishReport(stored=len(stored), dry_run=dry_run)
        desired_keys: set = set()
        answers: set[str] = set()
        with BatchPipeline(writer, enabled=not dry_run) as pipeline:
            for done, entity in enumerate(entities, 1):
                built = catalog.entity_items(entity, rev=lease.token)
                keys = [(i.PK, i.SK) for i in built]
                desired_keys.update(keys)
                plan = writer.plan(built, {k: stored[k] for k in keys if k in stored})
                report.desired += len(built)
                report.unchanged += plan.unchanged
                report.put_keys += [(i.PK, i.SK) for i in plan.puts]
                answers |= invalidation.answers_for_changes(plan.puts, [], stored)
                pipeline.put(plan.puts)
                if progress is not None:
                    progress(done, len(entities))
            report.delete_keys = sorted(k for k in stored if k not in desired_keys)
            pipeline.delete(report.delete_keys)
        report.puts, report.deletes = len(report.put_keys), len(report.delete_keys)
        answers |= invalidation.answers_for_changes([], report.delete_keys, stored)
        report.changed_paths = sorted(answers)
        if not dry_run:
            report.invalidation_items = invalidation.items_for_changes(report.put_keys + report.delete_keys)
            cdn.invalidate(report.invalidation_items, scope=f"republish-{lease.token}",
                           changed_paths=report.changed_paths)
        return report
    finally:
        lease_release(lease)


class BatchPipeline:
    """Full batches of 25 handed to writer threads (`streams` BatchWriteItem streams), errors re-raised on exit.

    Every item of a republish is written once and unconditionally, so the order between
    batches does not matter and two streams may run side by side.
    """

    def __init__(self, writer: Writer, *, enabled: bool = True, depth: int = 8, streams: int | None = None):
        import queue
        import threading

        self.writer, self.enabled = writer, enabled
        self.buffer: list[dict] = []
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        streams = streams or conf.get("PUBLISH_WRITE_STREAMS")
        self.threads = [threading.Thread(target=self._run, name=f"republish-writer-{n}", daemon=True)
                        for n in range(streams)]

    def __enter__(self):
        if self.enabled:
            # The writer thread mostly waits on the network; hand it the GIL promptly when its
            # answer arrives instead of after the default 5 ms of projection.
            self.switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(0.0005)
            for thread in self.threads:
                thread.start()
        return self

    def _run(self):
        while (chunk := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.writer.batch_write(chunk)
                except BaseException as exc:  # re-raised in the caller's thread
                    self.error = exc

    def _add(self, requests: list[dict]) -> None:
        if not self.enabled:
            return
        if self.error is not None:
            raise self.error
        self.buffer += requests
        while len(self.buffer) >= BATCH_WRITE_MAX:
            self.queue.put(self.buffer[:BATCH_WRITE_MAX])
            self.buffer = self.buffer[BATCH_WRITE_MAX:]

    def put(self, items) -> None:
        self._add([{"PutRequest": {"Item": item.serialize()}} for item in items])

    def delete(self, keys) -> None:
        self._add([{"DeleteRequest": {"Key": {"PK": {"S": pk}, "SK": {"S": sk}}}} for pk, sk in keys])

    def __exit__(self, exc_type, exc, tb):
        if not self.enabled:
            return False
        if self.buffer and exc_type is None:
            self.queue.put(self.buffer)
        self.buffer = []
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        sys.setswitchinterval(self.switch_interval)
        if exc_type is None and self.error is not None:
            raise self.error
        return False


def tasks_apply_in_bulk(tasks, *, token: int, writer: Writer | None = None) -> TaskOutcome:
    """Apply many tasks at once (a bulk import queued hundreds) by one rebuild of every entity.

    Every task only says "recompute what this record touches from the current state", so a
    full rebuild under the lease covers them all, and costs one projection instead of one
    per task. As for a single task, what to invalidate is saved on the tasks before writing.
    """
    writer = writer or Writer()
    catalog = PublicCatalog()
    desired = catalog.items_for(catalog.all_entities(), rev=token)
    stored = writer.scan()
    plan = writer.plan(desired, stored)
    changed = [(i.PK, i.SK) for i in plan.puts] + plan.deletes
    earlier = [item for task in tasks for item in task.invalidation_items]
    items = cdn.normalise_items([*earlier, *invalidation.items_for_changes(changed)])
    answers = sorted({*(path for task in tasks for path in task.changed_paths),
                      *invalidation.answers_for_changes(plan.puts, plan.deletes, stored)})
    PublishTask.objects.filter(pk__in=[t.pk for t in tasks]).update(invalidation_items=items, changed_paths=answers)
    result = writer.write_batch(plan)
    first, last = min(t.pk for t in tasks), max(t.pk for t in tasks)
    cdn.invalidate(items, scope=f"tasks-{first}-{last}-{len(tasks)}", task=min(tasks, key=lambda t: t.pk),
                   changed_paths=answers)
    return TaskOutcome(items_written=len(result.written), items_deleted=len(result.deleted),
                       items_unchanged=plan.unchanged, invalidation_items=items, changed_paths=answers)


# --- preview --------------------------------------------------------------------------------------


@dataclass
class PreviewItem:
    pk: str
    sk: str
    change: str  # added, changed, removed, unchanged
    live: object
    proposed: object


@dataclass
class Preview:
    documents: dict  # the record's own public answers, as they would be served
    items: list[PreviewItem]
    live_error: str = ""

    @property
    def changed(self) -> list[PreviewItem]:
        return [i for i in self.items if i.change != "unchanged"]


class _PreviewTask:
    """What a task for approving `record` now would carry (never saved)."""

    def __init__(self, record, after):
        self.kind = record._meta.model_name
        self.record_pk = record.pk
        self.before = record.published_snapshot
        self.after = after
        self.previous_key = ""
        self.record_key = getattr(record, "key", "")
        self.related_before = []


def _simulate_approval(catalog: PublicCatalog, record, after: dict) -> None:
    kind, before = record._meta.model_name, record.published_snapshot
    if kind == "edition":
        festival_key = record.festival.key
        if festival_key not in catalog.festivals:
            return
        editions = [e for e in catalog.editions.get(festival_key, []) if e["year"] != (before or after)["year"]]
        catalog.editions[festival_key] = sorted([*editions, after], key=lambda e: e["year"])
    else:
        published = {"genre": catalog.genres, "role": catalog.roles, "band": catalog.bands,
                     "festival": catalog.festivals}[kind]
        if before is not None:
            published.pop(before["key"], None)
        published[after["key"]] = after
        if kind == "festival" and before is not None and before["key"] != after["key"]:
            catalog.editions[after["key"]] = catalog.editions.pop(before["key"], [])
    for attribute in ("_appearances", "_band_rows", "_genre_bands", "_role_members", "_band_details"):
        catalog.__dict__.pop(attribute, None)


def _documents(catalog: PublicCatalog, record, after: dict) -> dict:
    kind = record._meta.model_name
    if kind == "edition":
        key = record.festival.key
        if key not in catalog.festivals:
            return {}
        detail = catalog.festival_detail(key)
        edition = next((e for e in detail["editions"] if e["year"] == after["year"]), None)
        return {f"/api/festivals/{key}/editions/{after['year']}": {"festivalKey": key, **(edition or {})},
                f"/api/festivals/{key}": detail}
    key = after["key"]
    if kind == "festival":
        return {f"/api/festivals/{key}": catalog.festival_detail(key)}
    if kind == "band":
        return {f"/api/bands/{key}": catalog.band_detail(key), f"/api/bands/{key}/festivals": catalog.band_festivals(key)}
    items = catalog.entity_items(Entity(kind, key), rev=0)
    return {f"/api/{kind}s/{key}": json.loads(items[0].body)} if items else {}


def preview(record, *, writer: Writer | None = None) -> Preview:
    """The public JSON `record` would produce if approved now, and how every affected item differs from live."""
    after = build_snapshot(record)
    catalog = PublicCatalog()
    entities = entities_for_task(_PreviewTask(record, after), catalog)
    _simulate_approval(catalog, record, after)
    entities |= entities_for_task(_PreviewTask(record, after), catalog)
    proposed = {(i.PK, i.SK): json.loads(i.body) for i in catalog.items_for(entities, rev=0)}
    live: dict = {}
    error = ""
    try:
        writer = writer or Writer()
        live = {k: json.loads(v["body"]["S"]) for k, v in writer.read_items(_partitions(entities)).items()}
    except Exception as exc:  # shown on the page: the preview still shows the proposed JSON
        error = f"{type(exc).__name__}: {exc}"
    items = []
    for key in sorted(set(proposed) | set(live)):
        old, new = live.get(key), proposed.get(key)
        change = "added" if old is None else "removed" if new is None else "unchanged" if old == new else "changed"
        if error and change == "added":
            change = "unknown"
        items.append(PreviewItem(pk=key[0], sk=key[1], change=change, live=old, proposed=new))
    return Preview(documents=_documents(catalog, record, after), items=items, live_error=error)
