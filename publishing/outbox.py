"""The outbox: every change to what the public sees becomes a publish task in the same transaction.

`catalog` never imports publishing; it sends `public_state_changed` inside the
transaction of the change, and `on_public_state_changed` (connected in
`PublishingConfig.ready()`) writes the task row there, so no approval exists
without its task. With `PUBLISH_ON_COMMIT` the worker drains right after commit.
"""

import logging

from django.conf import settings
from django.db import transaction

from .models import PublishTask

logger = logging.getLogger(__name__)


def record_kind(record) -> str:
    return record._meta.model_name


def record_key(record, snapshot: dict | None = None) -> str:
    """The record's public key; editions are `festival/year`."""
    if record_kind(record) == "edition":
        if snapshot:
            return f"{snapshot['festivalKey']}/{snapshot['year']}"
        return f"{record.festival.key}/{record.year}"
    return record.key


def task_enqueue(*, record, change: str, before=None, after=None, previous_key=None) -> PublishTask:
    """Write the publish task for one change; call inside the change's transaction."""
    task = _task_for(record=record, change=change, before=before, after=after, previous_key=previous_key)
    task.save()
    if settings.PUBLISH_ON_COMMIT:
        _schedule_drain()
    return task


def tasks_enqueue(changes: list[dict]) -> list[PublishTask]:
    """`task_enqueue` for many changes, written in one INSERT per thousand (the legacy import's new records)."""
    tasks = PublishTask.objects.bulk_create([_task_for(**change) for change in changes], batch_size=1000)
    if tasks and settings.PUBLISH_ON_COMMIT:
        _schedule_drain()
    return tasks


def _task_for(*, record, change: str, before=None, after=None, previous_key=None) -> PublishTask:
    related_before = []
    if record_kind(record) == "festival" and change == "delete":
        # The editions go with the festival (cascade): keep what they showed, to unpublish their items.
        related_before = list(
            record.editions.filter(published_snapshot__isnull=False).values_list("published_snapshot", flat=True)
        )
    return PublishTask(
        kind=record_kind(record),
        record_pk=record.pk,
        record_key=record_key(record, after or before),
        change=change,
        previous_key=previous_key or "",
        before=before,
        after=after,
        related_before=related_before,
        revision=record.published_revision if isinstance(record.published_revision, int) else 0,
    )


def on_public_states_changed(sender, *, changes, **kwargs):
    tasks_enqueue(changes)


def on_public_state_changed(sender, *, record, change, before=None, after=None, previous_key=None, **kwargs):
    task_enqueue(record=record, change=change, before=before, after=after, previous_key=previous_key)


def on_festival_alias_changed(sender, *, instance, **kwargs):
    """A full admin added or removed a former key of a published festival: its redirect items change."""
    from catalog.models import Festival

    festival = Festival.objects.filter(pk=instance.festival_id, published_snapshot__isnull=False).first()
    if festival is None:
        return
    task = PublishTask.objects.create(
        kind="festival", record_pk=festival.pk, record_key=festival.key, change="alias",
        previous_key=instance.key, before=festival.published_snapshot, after=festival.published_snapshot,
        revision=festival.published_revision,
    )
    if settings.PUBLISH_ON_COMMIT:
        _schedule_drain()
    return task


def _schedule_drain() -> None:
    """Drain once after the commit, however many tasks the transaction wrote (an import writes hundreds).

    Django keeps the callbacks of the open transaction in `run_on_commit` as (savepoints, callable, robust);
    a callback registered in a savepoint that rolls back is dropped, so this never loses the drain.
    """
    pending = transaction.get_connection().run_on_commit
    if not any(entry[1] is drain_after_commit for entry in pending):
        transaction.on_commit(drain_after_commit)


def drain_after_commit() -> None:
    """Local runs: apply the new task at once so the editor sees the effect.

    A failure here is recorded on the task by the worker (and retried); only an
    unexpected error reaching this point is logged, since the request has committed.
    """
    from .worker import drain

    try:
        drain(wait_for_lease=5.0)
    except Exception:  # the task stays pending and the next drain applies it
        logger.exception("publishing: draining after commit failed; the task stays in the outbox")
