"""Reads about publishing for the admin: a record's public state, and the outbox's queues."""

from django.urls import reverse

from .models import Invalidation, PublishTask, TaskStatus


def public_state(record) -> dict:
    """What the public sees of `record` and where its publishing stands.

    {"published": bool, "revision": int, "approved_at": datetime|None,
     "pending": {"id", "change", "created_at", "attempts"}|None,
     "failed": {"id", "change", "error", "attempts", "next_attempt_at"}|None,
     "last_published_at": datetime|None (the last task applied), "invalidation": [items]|None,
     "tasks_url": str, "preview_url": str}
    """
    kind = record._meta.model_name
    tasks = PublishTask.objects.for_record(kind, record.pk).order_by("-id")
    failed = tasks.filter(status=TaskStatus.FAILED).first()
    pending = tasks.filter(status__in=[TaskStatus.PENDING, TaskStatus.RUNNING]).first()
    done = tasks.filter(status=TaskStatus.DONE).first()
    invalidation = Invalidation.objects.filter(task=done).first() if done else None
    return {
        "published": record.published_snapshot is not None,
        "revision": record.published_revision,
        "approved_at": record.approved_at,
        "pending": pending and {"id": pending.pk, "change": pending.change, "created_at": pending.created_at,
                                "attempts": pending.attempts},
        "failed": failed and {"id": failed.pk, "change": failed.change, "error": failed.last_error,
                              "attempts": failed.attempts, "next_attempt_at": failed.next_attempt_at},
        "last_published_at": done.done_at if done else None,
        "invalidation": invalidation.items if invalidation else None,
        "tasks_url": reverse("admin:publishing_publishtask_changelist") + f"?kind={kind}&record_pk={record.pk}&state=all",
        "preview_url": reverse("publishing:preview", args=[kind, record.pk]),
    }


def public_state_text(record) -> str | None:
    """One sentence for the catalog admin (registered in catalog.signals.public_state_describers)."""
    if record.pk is None:
        return None
    state = public_state(record)
    if state["failed"]:
        failed = state["failed"]
        return (f"Publishing FAILED (task #{failed['id']}, {failed['attempts']} attempts): {failed['error']}; "
                f"retried automatically, or retry it from the publish tasks page.")
    if state["pending"]:
        return f"Publishing pending (task #{state['pending']['id']})."
    if state["last_published_at"]:
        return f"Last published to the public API at {state['last_published_at']:%Y-%m-%d %H:%M:%S} UTC."
    return None


def outbox_counts() -> dict:
    return {
        "pending": PublishTask.objects.filter(status__in=[TaskStatus.PENDING, TaskStatus.RUNNING]).count(),
        "failed": PublishTask.objects.filter(status=TaskStatus.FAILED).count(),
    }
