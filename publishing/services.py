"""Publishing's actions: apply one task, republish everything, preview a record before approval.

Each is called alike by the worker, the management commands and the admin.
"""

import itertools
import json
import logging
import sys
import time
from dataclasses import dataclass, field

from catalog.snapshots import build_snapshot
from read_api import schema

from . import cdn, conf, feed, invalidation
from .models import PublishTask
from .projector import BAND, COLLECTIONS, FESTIVAL, GENRE, ROLE, Entity, KeySet, PublicCatalog, entities_for_task
from .scoped import ScopedCatalog
from .writer import (
    ITEM_MAX_BYTES,
    TRANSACT_MAX,
    FenceAhead,
    Plan,
    Prefix,
    TransactionCutter,
    Writer,
    delete_operation,
    item_size,
    put_operation,
    serialise,
)

logger = logging.getLogger(__name__)


@dataclass
class TaskOutcome:
    items_written: int = 0
    items_deleted: int = 0
    items_unchanged: int = 0
    items_stale: int = 0
    invalidation_items: list[str] = field(default_factory=list)
    changed_paths: list[str] = field(default_factory=list)
    complete: bool = True  # a checkpointed bulk rebuild that ran out of time: resumed by the next drain


def _partitions(entities) -> list[tuple[str, str | None]]:
    return [p for entity in sorted(entities) for p in entity.partitions()]


class PublishRefused(RuntimeError):
    """Some records could not be published, each named with its reason; everything else was written."""

    def __init__(self, failures: dict):
        self.failures = failures
        super().__init__("; ".join(f"{describe(entity)}: {reason}" for entity, reason in sorted(failures.items())))


def describe(entity: Entity) -> str:
    return f"{entity.kind} {entity.key}".strip() if entity.key else entity.kind


class StoredIndex(dict):
    """What is stored (key → Stored), with the keys of each partition at hand."""

    def __init__(self, stored: dict):
        super().__init__(stored)
        self.by_pk: dict[str, list] = {}
        for key in stored:
            self.by_pk.setdefault(key[0], []).append(key)


def _owned(stored: StoredIndex, entity: Entity) -> list:
    """The stored keys that live in `entity`'s partitions, and the search rows its manifest there names."""
    found = []
    for pk, sk in entity.partitions():
        if sk is None:
            found += stored.by_pk.get(pk, [])
        elif isinstance(sk, Prefix):
            found += [k for k in stored.by_pk.get(pk, []) if k[1].startswith(sk)]
        elif (pk, sk) in stored:
            found.append((pk, sk))
    return found + [r for k in found for r in stored[k].refs if r in stored]


def _entity_plan(catalog: PublicCatalog, entity: Entity, stored: dict, *, token: int, rev=None):
    """(plan, serialised puts) for one entity, or a reason it cannot be published (raises nothing)."""
    try:
        built = catalog.entity_items(entity, rev=token)
    except Exception as exc:  # a record the projector cannot build is reported, not allowed to stop the others
        logger.warning("publishing: %s cannot be built: %s", describe(entity), exc)
        return None, None, f"cannot be built: {type(exc).__name__}: {exc}"
    keys = [(i.PK, i.SK) for i in built]
    return _planned(built, {k: stored[k] for k in [*keys, *_owned(stored, entity)] if k in stored}, rev=rev)


def _planned(built: list, stored: dict, *, rev=None):
    """(plan, [(serialised put, its size)], None) for items built against what is stored, or a reason they
    cannot be written."""
    plan = Writer.plan(built, stored, rev=rev)
    serialised = [(attrs, item_size(attrs)) for attrs in map(serialise, plan.puts)]  # sized once
    too_large = [(item, size) for item, size in serialised if size > ITEM_MAX_BYTES]
    if too_large:
        attrs, size = too_large[0]
        return None, None, (f"item {attrs['PK']['S']} / {attrs['SK']['S']} would be {size / 1024:,.0f} KB, above "
                            "DynamoDB's 400 KB item limit (shorten the record's text)")
    return plan, serialised, None


def task_apply(task: PublishTask, *, token: int, writer: Writer | None = None) -> TaskOutcome:
    """Rebuild every entity the task touches, write what changed (conditioned on `rev`), invalidate.

    What to invalidate is saved on the task *before* writing: if DynamoDB or the CDN
    fails half-way, the retry (which finds those items already written, so unchanged)
    still invalidates them. An entity that cannot be published (an item over 400 KB) is
    left as it is; the others are written, then PublishRefused names it and the task fails.
    """
    writer = writer or Writer()
    catalog = ScopedCatalog()
    entities = entities_for_task(task, catalog)
    # Consistent reads: the counts of this publish start from what the last one wrote.
    stored = StoredIndex(writer.read([p for entity in sorted(entities) for p in entity.reads()], consistent=True))
    catalog.stored = stored
    plan, failures = Plan(), {}
    for entity in sorted(entities):
        part, _, reason = _entity_plan(catalog, entity, stored, token=token, rev=token)
        if reason:
            failures[entity] = reason
            continue
        plan.puts += part.puts
        plan.deletes += part.deletes
        plan.stale += part.stale
        plan.unchanged += part.unchanged
    _counted_first(plan, entities)
    outcome = write_and_invalidate(task, plan, stored, writer=writer, token=token, scope=f"task-{task.pk}")
    if failures:
        raise PublishRefused(failures)
    return outcome


def write_and_invalidate(task: PublishTask, plan: Plan, stored: dict, *, writer: Writer, token: int,
                         scope: str) -> TaskOutcome:
    """Save on the task what the plan will invalidate, write the plan (conditioned on `token`), invalidate."""
    changed = [(i.PK, i.SK) for i in plan.puts] + plan.deletes
    items = cdn.normalise_items([*task.invalidation_items, *invalidation.items_for_changes(changed)])
    answers = sorted({*task.changed_paths, *invalidation.answers_for_changes(plan.puts, plan.deletes, stored)})
    if items != task.invalidation_items or answers != task.changed_paths:
        PublishTask.objects.filter(pk=task.pk).update(invalidation_items=items, changed_paths=answers)
        task.invalidation_items, task.changed_paths = items, answers
    plan.moves = {**plan.moves, **feed.moves_for_task(task)}  # a renamed key is a move in the change feed
    result = writer.write_conditional(plan, rev=token)
    cdn.invalidate(items, scope=scope, task=task, changed_paths=answers)
    return TaskOutcome(
        items_written=len(result.written), items_deleted=len(result.deleted), items_unchanged=plan.unchanged,
        items_stale=len(result.stale), invalidation_items=items, changed_paths=answers,
    )


def _counted_first(plan: Plan, entities) -> None:
    """Put first the writes that counts are taken from (slices, the band rows the collections count)
    and the counts themselves: they go out in the first transaction together, so a publish that
    fails half-way never leaves a count out of step with its rows (the retry counts from both)."""
    counted = KeySet([p for e in entities if e.bands or e.kind == COLLECTIONS for p in e.reads()])
    plan.first = {k for k in [*((i.PK, i.SK) for i in plan.puts), *plan.deletes]
                  if k in counted or _search(k) or k[1].startswith(schema.UPCOMING_PREFIX)}
    # The upcoming rows go with the upcoming counts (counted in SQL from the same snapshots).
    # A search manifest and the rows it names go together too: a manifest never names rows that
    # were not written, nor leaves out rows still stored (they would be found by no later publish).
    if len(plan.first) >= TRANSACT_MAX:
        logger.warning("publishing: %s counted writes span more than one transaction", len(plan.first))


def _search(key) -> bool:
    return key[0].startswith(schema.SEARCH_PREFIX) or key[1] == schema.SEARCH_MANIFEST


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
    changed_paths: list[str] = field(default_factory=list)  # the first ANSWERS_KEPT, sorted
    changed_tags: set[str] = field(default_factory=set)  # of the items written and deleted; empty past the wildcard
    tags_changed: int = 0  # how many cache tags changed
    answers_changed: int = 0  # how many public answers changed (changed_paths names at most ANSWERS_KEPT)
    put_keys: list = field(default_factory=list)  # a dry run's first KEYS_KEPT (the command lists some)
    delete_keys: list = field(default_factory=list)
    most_snapshots: int = 0  # the most snapshots one chunk loaded (memory: bounded by the chunk, not the catalog)
    most_items: int = 0  # the most items one chunk built
    failures: dict = field(default_factory=dict)  # Entity → why it was not published (the rest was)
    complete: bool = True  # False: a checkpointed rebuild ran out of time; the next run resumes it
    resumed_after: str = ""

    KEYS_KEPT = 1000
    ANSWERS_KEPT = 1000  # answers named for people (admin, task, command); the count is exact

    def keep_keys(self, puts, deletes) -> None:
        self.put_keys += puts[: max(self.KEYS_KEPT - len(self.put_keys), 0)]
        self.delete_keys += deletes[: max(self.KEYS_KEPT - len(self.delete_keys), 0)]

    @property
    def failed(self) -> list[str]:
        return [f"{describe(entity)}: {reason}" for entity, reason in sorted(self.failures.items())]


class LeaseBusy(RuntimeError):
    """A worker is applying tasks; republish waits for no one and asks to be run again."""


def _entity_mark(entity: Entity) -> str:
    return f"{entity.kind}\t{entity.key}"


def _rebuild(writer: Writer, keeper, *, dry_run: bool = False, progress=None, before_write=None, checkpoint=None,
             deadline: float | None = None) -> RepublishReport:
    """Project every entity and write what changed to the table through fenced transactions.

    The catalog streams (`publishing.rebuild`): `PUBLISH_REBUILD_CHUNK` entities at a time are
    loaded, projected against what the table holds of them (read once, keys and hashes, into a
    spill file) and handed to writer threads (`BatchPipeline`), so projection overlaps the network
    and memory is one chunk's whatever the catalog's size. Each entity's own stale items are
    deleted with its writes; items no public entity owns are deleted once the rebuild completes.
    With `before_write`, every write waits in the spill until `before_write(report)` has run (the
    bulk drain saves what to invalidate first). An entity that cannot be published is recorded in
    `failures` and its stored items are left alone. The lease is renewed as the work goes
    (`keeper.tick()`), and writing stops once it is lost.

    With a `checkpoint` (a RebuildCheckpoint) the rebuild is resumable: it records its progress
    after every whole chunk (all written) and, past `deadline` (time.monotonic), stops there with
    `report.complete` False; the next run skips the entities before the checkpoint, keeping what
    they own.
    """
    from read_api import cachetags

    from . import rebuild
    from .scoped import ScopedCatalog

    keeper.tick()
    spill = rebuild.StoredSpill()
    try:
        spill.fill(writer.scan_pages(), tick=keeper.tick)
        spill.index_lineups(tick=keeper.tick)
        report = RepublishReport(stored=spill.rows, dry_run=dry_run)
        lists = rebuild.ListPartitions.load()
        size = conf.get("PUBLISH_REBUILD_CHUNK")
        total, token = rebuild.record_count(), keeper.lease.token
        resume_after = checkpoint.last_entity if checkpoint is not None else ""
        done = 0
        if resume_after:  # what the entities before the checkpoint own was written by an earlier run
            for record in rebuild.records(size, snapshots=False):
                if _entity_mark(record.entity) > resume_after:
                    break
                spill.claim(rebuild.stored_of(spill, record.entity, lists), rebuild.KEPT)
                done += 1
                keeper.tick()
        with BatchPipeline(writer, token=token, alive=keeper.alive, enabled=not dry_run) as pipeline:

            def send(serialised, deletes) -> None:
                if before_write is None:
                    pipeline.put(serialised)
                    pipeline.delete(deletes)
                elif not dry_run:
                    spill.hold("put", [json.dumps(put) for put in serialised])
                    spill.hold("delete", [json.dumps(key) for key in deletes])

            def barrier() -> None:
                """Counts are written once the rows they count have committed: a newer publisher counts
                from a stored count and the rows it finds, so a count must never land without its rows."""
                if before_write is None:
                    pipeline.flush()
                elif not dry_run:
                    spill.hold("flush", [""])

            def project(record, catalog, festivals: dict) -> int:
                """Build one entity against what the table holds, claim and send its writes: items held."""
                entity = record.entity
                stored = rebuild.stored_of(spill, entity, lists)
                try:
                    if entity.kind in (GENRE, ROLE):
                        built = rebuild.list_owner_items(catalog, entity, spill, rev=token)
                    elif entity.kind == FESTIVAL:  # its lineups' bands are loaded with its group's alone
                        if entity.key not in festivals:
                            festivals.clear()
                            festivals.update(rebuild.festival_group(chunk, entity.key, size, lineup_index=catalog.lineup_index))
                        built = festivals[entity.key].entity_items(entity, rev=token)
                        report.most_snapshots = max(report.most_snapshots, _loaded(festivals[entity.key]))
                    else:
                        built = catalog.entity_items(entity, rev=token)
                    if entity.kind == BAND:
                        built += rebuild.band_list_rows(catalog, entity.key, rev=token)
                except Exception as exc:  # reported, not allowed to stop the others
                    logger.warning("publishing: %s cannot be built: %s", describe(entity), exc)
                    built, reason = None, f"cannot be built: {type(exc).__name__}: {exc}"
                else:
                    plan, serialised, reason = _planned(built, stored)
                if reason:
                    report.failures[entity] = reason
                    spill.claim(stored, rebuild.KEPT)  # keep what the public sees now
                    return 0
                spill.claim([(i.PK, i.SK) for i in built], rebuild.KEPT)
                spill.claim(plan.deletes, rebuild.DELETED)
                puts = [(i.PK, i.SK) for i in plan.puts]
                report.desired += len(built)
                report.unchanged += plan.unchanged
                report.puts += len(puts)
                report.deletes += len(plan.deletes)
                spill.note(cachetags.for_items([*puts, *plan.deletes]),
                           invalidation.answers_for_changes(plan.puts, plan.deletes, stored))
                if dry_run:
                    report.keep_keys(puts, plan.deletes)
                send(serialised, plan.deletes)
                return len(built)

            counted = False  # the barrier before the first genre or role
            for chunk in rebuild.chunks(rebuild.records(size, resume_after), size):
                keeper.tick()
                catalog = ScopedCatalog()
                catalog.stored = {}
                catalog.lineup_index = spill.festivals_naming
                for record in chunk:
                    if record.snapshot is not None and record.entity.kind != FESTIVAL:
                        catalog._add(record.entity.kind, record.pk, record.snapshot)
                catalog.find_appearances([r.entity.key for r in chunk if r.entity.kind == BAND])
                held, festivals = 0, {}
                for record in chunk:
                    keeper.tick()
                    if record.entity.kind in (GENRE, ROLE) and not counted:
                        barrier()
                        counted = True
                    held += project(record, catalog, festivals)
                    done += 1
                    if progress is not None:
                        progress(done, total)
                report.most_snapshots = max(report.most_snapshots, _loaded(catalog))
                report.most_items = max(report.most_items, held)
                if checkpoint is not None and not dry_run:
                    pipeline.flush()  # every write so far has committed: safe to skip these entities next time
                    _checkpoint_save(checkpoint, chunk[-1].entity, done, report.puts)
                    if deadline is not None and time.monotonic() >= deadline and done < total:
                        report.complete = False
                        break
            if report.complete:  # the collection counts, after every row they count; then what no entity owns
                barrier()
                catalog = ScopedCatalog()
                catalog.stored = {}
                project(rebuild.Record(Entity(COLLECTIONS)), catalog, {})
                done += 1
                if progress is not None:
                    progress(done, total)
                for page in spill.unclaimed():
                    keys = [key for key, _ in page]
                    report.deletes += len(keys)
                    spill.note(cachetags.for_items(keys), invalidation.answers_for_changes([], keys, dict(page)))
                    if dry_run:
                        report.keep_keys([], keys)
                    send([], keys)
                    keeper.tick()
            _report_changes(report, spill)
            if before_write is not None and not dry_run:
                before_write(report)
                for page in spill.held():
                    keeper.tick()
                    for action, group in itertools.groupby(page, key=lambda held: held[0]):
                        if action == "flush":
                            pipeline.flush()
                        else:
                            data = [tuple(json.loads(d)) for _, d in group]
                            if action == "put":
                                pipeline.put(data)
                            else:
                                pipeline.delete(data)
            keeper.tick()
        report.delete_keys.sort()
        return report
    finally:
        spill.close()


def _report_changes(report: RepublishReport, spill) -> None:
    """What the rebuild changed, from the spill: every tag while they are few enough to name
    (past `PUBLISH_INVALIDATION_WILDCARD_AFTER` the invalidation is the one wildcard, so the tags
    are counted, not held), the answers' count and the first `ANSWERS_KEPT` of them."""
    limit = conf.get("PUBLISH_INVALIDATION_WILDCARD_AFTER")
    report.tags_changed, report.changed_tags, report.answers_changed, report.changed_paths = spill.noted(
        tags_up_to=limit, answers_up_to=report.ANSWERS_KEPT)
    if report.tags_changed > limit:
        report.invalidation_items = [cdn.EVERYTHING]
    else:
        report.invalidation_items = invalidation.items_for_tags(report.changed_tags)


def _loaded(catalog) -> int:
    """Snapshots a chunk's catalog held (the memory test counts them)."""
    return (len(catalog.bands) + len(catalog.festivals) + len(catalog.genres) + len(catalog.roles)
            + sum(len(e) for e in catalog.editions.values()))


def _checkpoint_save(checkpoint, entity: Entity, done: int, written: int) -> None:
    checkpoint.last_entity, checkpoint.entities_done = _entity_mark(entity), done
    type(checkpoint).objects.filter(pk=checkpoint.pk).update(
        last_entity=checkpoint.last_entity, entities_done=done, items_written=checkpoint.items_written + written)


def checkpoint_open(*, last_task: int | None = None):
    """The rebuild in progress (resumed), or a new one; counts this run."""
    from django.db.models import F

    from .models import RebuildCheckpoint

    checkpoint, created = RebuildCheckpoint.objects.get_or_create(name="rebuild", defaults={"last_task": last_task})
    RebuildCheckpoint.objects.filter(pk=checkpoint.pk).update(runs=F("runs") + 1)
    checkpoint.refresh_from_db()
    return checkpoint


def checkpoint_current():
    from .models import RebuildCheckpoint

    return RebuildCheckpoint.objects.filter(name="rebuild").first()


def republish(*, dry_run: bool = False, progress=None, writer: Writer | None = None,
              wait_for_lease: float = 30.0, time_budget: float | None = None, restart: bool = False) -> RepublishReport:
    """Rebuild the whole table from the approved snapshots: write what is missing or different,
    delete what is no longer published, invalidate what changed. Holds (and renews) the drain
    lease meanwhile; every write is fenced by its token (stops with Fenced once it is lost).

    A record that cannot be published is left as it is in the table, the rest is written, and
    it is named in `report.failures` and kept as a failed publish task (admin, health, retried).
    `progress(done, total)` counts entities.

    With `time_budget` (seconds) the rebuild is checkpointed and stops in time (`report.complete`
    False); the next call (or the scheduled worker, `worker.lambda_drain`) resumes it, as does any
    republish while a checkpoint exists, unless `restart`. Each run invalidates what it wrote.
    """
    from .worker import LeaseKeeper, acquire_waiting, lease_adopt, lease_release, new_worker_id

    writer = writer or Writer()
    deadline = time.monotonic() + time_budget if time_budget is not None else None
    lease = acquire_waiting(f"republish:{new_worker_id()}", wait_for_lease)
    if lease is None:
        raise LeaseBusy("a worker holds the publishing lease; try again in a moment")
    keeper = LeaseKeeper(lease)
    try:
        if not dry_run:
            try:
                writer.ensure_fence(lease.token)
            except FenceAhead as exc:  # the database was restored from a backup: adopt the table's token
                if not lease_adopt(lease, exc.stored + 1):
                    raise
                writer.ensure_fence(lease.token)
        keeper.tick()
        checkpoint = None
        if not dry_run:
            if restart and (current := checkpoint_current()) is not None:
                current.delete()
            if time_budget is not None or checkpoint_current() is not None:
                checkpoint = checkpoint_open()
        report = _rebuild(writer, keeper, dry_run=dry_run, progress=progress, checkpoint=checkpoint,
                          deadline=deadline)
        if checkpoint is not None:
            report.resumed_after = checkpoint.last_entity if report.complete else ""
            if report.complete:
                checkpoint.delete()
        if not dry_run:
            cdn.invalidate(report.invalidation_items, scope=f"republish-{lease.token}",
                           changed_paths=report.changed_paths)
            failures_record(report.failures)
        return report
    finally:
        lease_release(lease)


def failures_record(failures: dict, *, tasks=()) -> list[PublishTask]:
    """Make each entity that could not be published visible as a failed task of its record.

    A task of the bulk for that record fails with the reason; a record without one gets a
    failed `republish` task (shown in the admin and by health, retried with backoff like any
    failed task, and done once the record is fixed and publishes).
    """
    from .projector import MODELS
    from .worker import task_record_failure

    own = {}
    for task in tasks:
        for entity in _own_entities(task):
            own.setdefault(entity, []).append(task)
    failed = []
    for entity, reason in sorted(failures.items()):
        logger.error("publishing: %s was not published: %s", describe(entity), reason)
        if entity in own:
            failed += own[entity]
            for task in own[entity]:
                task_record_failure(task, PublishRefused({entity: reason}))
            continue
        model = MODELS.get(entity.kind)
        record = model.objects.filter(key=entity.key).first() if model is not None else None
        if record is None and entity.kind == "festival":
            from catalog.models import FestivalAlias

            alias = FestivalAlias.objects.filter(key=entity.key).select_related("festival").first()
            record = alias.festival if alias else None
        if record is None:
            continue  # the collection counts: reported by the caller only
        kind = record._meta.model_name
        if PublishTask.objects.for_record(kind, record.pk).unfinished().exists():
            task = PublishTask.objects.for_record(kind, record.pk).unfinished().order_by("id").first()
        else:
            task = PublishTask.objects.create(kind=kind, record_pk=record.pk, record_key=record.key, change="republish",
                                              after=record.published_snapshot, revision=record.published_revision)
        task_record_failure(task, PublishRefused({entity: reason}))
        failed.append(task)
    return failed


def _own_entities(task) -> set[Entity]:
    if task.kind == "edition":
        keys = {(task.after or task.before or {}).get("festivalKey"), task.record_key.split("/")[0]}
        return {Entity("festival", k) for k in keys if k}
    keys = {(task.before or {}).get("key"), (task.after or {}).get("key"), task.record_key, task.previous_key}
    return {Entity(task.kind, k) for k in keys if k}


class BatchPipeline:
    """Full fenced transactions handed to writer threads (`streams` of them), errors re-raised on exit.

    Every item of a rebuild is written once, so the order between transactions does not
    matter and streams may run side by side; each stream checks its own fence shard, so
    they never contend for one item.
    """

    def __init__(self, writer: Writer, *, token: int, alive=None, enabled: bool = True, depth: int = 4,
                 streams: int | None = None):
        import queue
        import threading

        self.writer, self.token, self.alive, self.enabled = writer, token, alive, enabled
        self.cutter = TransactionCutter()
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        streams = streams or conf.get("PUBLISH_WRITE_STREAMS")
        self.threads = [threading.Thread(target=self._run, args=(n,), name=f"republish-writer-{n}", daemon=True)
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

    def _run(self, stream: int):
        while (chunk := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.writer.write_fenced(chunk, token=self.token, shard=stream, alive=self.alive, entries=False)
                except BaseException as exc:  # re-raised in the caller's thread
                    self.error = exc
            self.queue.task_done()
        self.queue.task_done()

    def flush(self) -> None:
        """Send what is buffered and wait until every transaction handed over has committed."""
        if not self.enabled:
            return
        if run := self.cutter.take():
            self.queue.put(run)
        self.queue.join()
        if self.error is not None:
            raise self.error

    def _add(self, operations: list) -> None:
        if not self.enabled:
            return
        if self.error is not None:
            raise self.error
        for operation in feed.with_entries(operations):  # full transactions, entries counted in
            if (run := self.cutter.add(operation)) is not None:
                self.queue.put(run)

    def put(self, serialised) -> None:
        """Put each (serialised item, its size)."""
        self._add([put_operation(self.writer.table, attrs, size=size) for attrs, size in serialised])

    def delete(self, keys) -> None:
        self._add([delete_operation(self.writer.table, key) for key in keys])

    def __exit__(self, exc_type, exc, tb):
        if not self.enabled:
            return False
        run = self.cutter.take()
        if run and exc_type is None:
            self.queue.put(run)
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        sys.setswitchinterval(self.switch_interval)
        if exc_type is None and self.error is not None:
            raise self.error
        return False


def tasks_apply_in_bulk(tasks, *, keeper, writer: Writer | None = None, deadline: float | None = None,
                        progress=None):
    """Apply many tasks at once (a bulk import queued hundreds) by one rebuild of every entity.

    Every task only says "recompute what this record touches from the current state", so a
    full rebuild under the lease covers them all, and costs one projection instead of one
    per task. As for a single task, what to invalidate is saved on the tasks before writing.
    A record that cannot be published fails its own task(s) only: returns (outcome, failed tasks).

    With a `deadline` (or a checkpointed bulk rebuild in progress) the rebuild is checkpointed
    instead: it stops in time with `outcome.complete` False, the tasks stay claimed, and the next
    drain resumes it; each run invalidates what it wrote.
    """
    writer = writer or Writer()
    writer.ensure_fence(keeper.lease.token)
    first, last = min(t.pk for t in tasks), max(t.pk for t in tasks)
    checkpoint = checkpoint_current()
    if checkpoint is not None and checkpoint.last_task is None:
        # A republish in progress skipped entities before these tasks' changes: a bulk starts its own.
        checkpoint.delete()
        checkpoint = None
    if deadline is not None or checkpoint is not None:
        checkpoint = checkpoint_open(last_task=last)
        report = _rebuild(writer, keeper, checkpoint=checkpoint, deadline=deadline, progress=progress)
        items = report.invalidation_items
        cdn.invalidate(items, scope=f"tasks-{first}-{last}-{len(tasks)}-run{checkpoint.runs}",
                       task=min(tasks, key=lambda t: t.pk), changed_paths=report.changed_paths)
        if not report.complete:
            return TaskOutcome(items_written=report.puts, items_deleted=report.deletes, complete=False), []
        checkpoint.delete()
        failed = failures_record(report.failures, tasks=tasks)
        return TaskOutcome(items_written=checkpoint.items_written + report.puts, items_deleted=report.deletes,
                           items_unchanged=report.unchanged, invalidation_items=items,
                           changed_paths=report.changed_paths), failed
    saved = {}

    def save_invalidation(report: RepublishReport) -> None:
        earlier = [item for task in tasks for item in task.invalidation_items]
        saved["items"] = cdn.normalise_items(
            [*earlier, *report.invalidation_items])
        saved["answers"] = sorted({*(path for task in tasks for path in task.changed_paths),
                                   *report.changed_paths})[:report.ANSWERS_KEPT]
        PublishTask.objects.filter(pk__in=[t.pk for t in tasks]).update(
            invalidation_items=saved["items"], changed_paths=saved["answers"])

    report = _rebuild(writer, keeper, before_write=save_invalidation, progress=progress)
    cdn.invalidate(saved["items"], scope=f"tasks-{first}-{last}-{len(tasks)}", task=min(tasks, key=lambda t: t.pk),
                   changed_paths=saved["answers"])
    failed = failures_record(report.failures, tasks=tasks)
    return TaskOutcome(items_written=report.puts, items_deleted=report.deletes, items_unchanged=report.unchanged,
                       invalidation_items=saved["items"], changed_paths=saved["answers"]), failed


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
    items, error = item_differences(catalog, entities, writer=writer)
    return Preview(documents=_documents(catalog, record, after), items=items, live_error=error)


def item_differences(catalog: PublicCatalog, entities, *, writer: Writer | None = None) -> tuple[list, str]:
    """([PreviewItem], error): every item of `entities` as `catalog` builds it against what is live.

    When the live table cannot be read, the error is returned (the page shows it beside the proposed JSON)."""
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
    return items, error
