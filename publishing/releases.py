"""Publishing a release: many records in one publish task, written in an order no reader can catch half-done.

A release goes live in one database transaction (`releases.services`): every record's
published snapshot is set and one `release` task names them all. Applying it rebuilds
every entity any of the records touches, refuses the whole group if one entity cannot
be published (nothing is written then), and writes the items in dependency order, so
that at every moment each public answer only points at answers that exist:

  1. genres' and roles' own documents,  2. bands' own documents (they embed genre and
  role details), 3. festivals with their editions and lineups, 4. everything that lists
  or counts: band, genre and role lists, a band's festivals, a role's members, counts.

Then one CloudFront invalidation for the group; the new keys' cached 404s carry the
records' cache tags, so they are cleared with it. The worker (`run_first`) goes live
with due releases and applies release tasks before any other task, under the drain
lease, and other tasks wait while a release task is unfinished: no other publish can
project the release's records before the ordered write has put them in place.
"""

import logging

from .models import PublishTask, TaskStatus

# The projector, the writer and publishing's services are imported where used: the releases app
# plugs into this module at start-up, and loading the URL configuration must stay light.

logger = logging.getLogger(__name__)

KIND = "release"
# Functions `(now=None) -> int` that take due releases live (set snapshots, write their task); the releases
# app registers one. Called by the worker under the drain lease, before it applies any task.
go_live_hooks: list = []
# Catalog kinds in the order their snapshots are laid into a preview (an edition needs its festival).
_SIMULATION_ORDER = {"genre": 0, "role": 1, "band": 2, "festival": 3, "edition": 4}


class _Member:
    """One record of a release task, shaped as `entities_for_task` reads a task."""

    def __init__(self, record: dict):
        self.kind = record["kind"]
        self.record_pk = record["pk"]
        self.record_key = record.get("key") or ""
        self.before = record.get("before")
        self.after = record.get("after")
        self.previous_key = ""
        self.related_before = []


def task_enqueue(*, release_pk: int, name: str, records: list[dict]) -> PublishTask:
    """The one publish task of a release going live; call inside the go-live transaction.

    `records`: [{"kind", "pk", "key", "before", "after"}] for each record of the release.
    """
    return PublishTask.objects.create(
        kind=KIND, record_pk=release_pk, record_key=name[:210], change="publish",
        before=None, after={"records": records}, revision=0,
    )


def write_rank(entity, item) -> int:
    """The step of the ordered write an item belongs to (see the module docstring)."""
    from read_api import schema

    if item.SK == schema.METADATA:
        if (entity.kind == "genre" and item.PK == schema.genre_pk(entity.key)) or (
                entity.kind == "role" and item.PK == schema.role_pk(entity.key)):
            return 0
        if entity.kind == "band" and item.PK == schema.band_pk(entity.key):
            return 1
    if entity.kind == "festival":
        return 2
    return 3


def release_entities(records: list[dict], catalog) -> set:
    from .projector import entities_for_task

    entities: set = set()
    for record in records:
        entities |= entities_for_task(_Member(record), catalog)
    return whole(entities)


def whole(entities) -> set:
    """Each entity whole: several records of a release touch the same genre, role or counts as slices of
    different bands, and overlapping slices would write one item twice (a release is projected from the
    whole public catalog, so the whole entity costs nothing more to build)."""
    from .projector import Entity

    return {Entity(entity.kind, entity.key) for entity in entities}


def release_apply(task: PublishTask, *, token: int, writer=None):
    """Write every item the release changes, in dependency order, then invalidate once.

    All or nothing at planning: an entity that cannot be published refuses the release before
    anything is written. What to invalidate is saved on the task before writing, so a retry after
    a failure half-way (which finds the first items written, so unchanged) still invalidates them.
    """
    from .projector import PublicCatalog
    from .services import PublishRefused, StoredIndex, _entity_plan, _partitions, write_and_invalidate
    from .writer import Plan, Writer

    writer = writer or Writer()
    catalog = PublicCatalog()
    entities = release_entities(task.after["records"], catalog)
    stored = StoredIndex(writer.read(_partitions(entities)))
    ranked, deletes, failures, unchanged, stale = [], [], {}, 0, []
    for entity in sorted(entities):
        part, _, reason = _entity_plan(catalog, entity, stored, token=token, rev=token)
        if reason:
            failures[entity] = reason
            continue
        ranked += [(write_rank(entity, item), n, item) for n, item in enumerate(part.puts, len(ranked))]
        deletes += part.deletes
        unchanged += part.unchanged
        stale += part.stale
    if failures:
        raise PublishRefused(failures)
    plan = Plan(puts=[item for _, _, item in sorted(ranked, key=lambda r: r[:2])], deletes=deletes,
                unchanged=unchanged, stale=stale)
    return write_and_invalidate(task, plan, stored, writer=writer, token=token, scope=f"release-task-{task.pk}")


# --- the worker's part ------------------------------------------------------------------------------


def unfinished():
    return PublishTask.objects.filter(kind=KIND).unfinished()


def blocks(task: PublishTask) -> bool:
    """Another task waits while a release task is unfinished (it would project the release's records half-written)."""
    return task.kind != KIND and unfinished().exists()


def run_first(lease, report) -> None:
    """Under the lease, before other tasks: take due releases live, then apply every due release task."""
    from .worker import due_tasks, task_run

    for hook in go_live_hooks:
        try:
            hook()
        except Exception as exc:  # a release's own failure is recorded by the hook; this is anything else
            logger.exception("releases: going live failed")
            report.errors.append(f"releases: {type(exc).__name__}: {exc}")
    for task in list(due_tasks(lease).filter(kind=KIND)):
        task_run(task, lease, release_apply, report, what="release task", about=f" (release {task.record_key})")


def is_done(task_id: int | None) -> bool:
    return task_id is not None and PublishTask.objects.filter(pk=task_id, status=TaskStatus.DONE).exists()


# --- preview --------------------------------------------------------------------------------------


def release_preview(records, *, writer=None) -> dict:
    """The public answers the release would produce if it went live now, with every item's difference from live.

    `records`: [(record, proposed snapshot)]. All are laid into one public catalog together, so a
    lineup shows the release's new bands by name and their festivals list the new edition.
    Returns {"documents": [(record, {path: body})], "items": [PreviewItem], "live_error": str}.
    """
    from .projector import PublicCatalog, entities_for_task
    from .services import _documents, _PreviewTask, _simulate_approval, item_differences

    catalog = PublicCatalog()
    ordered = sorted(records, key=lambda pair: _SIMULATION_ORDER[pair[0]._meta.model_name])
    entities: set = set()
    for record, after in ordered:
        entities |= entities_for_task(_PreviewTask(record, after), catalog)
    for record, after in ordered:
        _simulate_approval(catalog, record, after)
    for record, after in ordered:
        entities |= entities_for_task(_PreviewTask(record, after), catalog)
    documents = [(record, _documents(catalog, record, after)) for record, after in ordered]
    items, error = item_differences(catalog, whole(entities), writer=writer)
    return {"documents": documents, "items": items, "live_error": error}
