"""What the admin API (catalog.api) asks of publishing: the publish/invalidation state of a change,
manual invalidation, cache status, and the health of DynamoDB, CloudFront and publishing (failed
tasks); and what the `import_legacy` command asks: the DynamoDB guard and the outcome of the tasks
an import queued.

The catalog never imports publishing: PublishingConfig.ready() plugs this module into
`catalog.api.ports`, and the API's views call it through that port.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

NOT_REQUIRED = {
    "status": "NotRequired",
    "invalidationId": None,
    "reason": "Nothing public changed: the change waits for approval before it is published.",
}


def dynamodb_ready(**kwargs):
    """The commands' guard (publishing.table_guard): the right DynamoDB and its table, or TableUnavailable."""
    from .table_guard import dynamodb_ready as ready

    return ready(**kwargs)


def table_unavailable() -> type[Exception]:
    from .table_guard import TableUnavailable

    return TableUnavailable


def publish_outcome(after_task_id: int) -> dict:
    """What became of the publish tasks written after `after_task_id`: counts by status, distinct errors."""
    from .models import PublishTask, TaskStatus

    tasks = PublishTask.objects.filter(id__gt=after_task_id)
    counts = {status: tasks.filter(status=status).count() for status in TaskStatus.values}
    errors: dict[str, int] = {}
    for error in tasks.filter(status=TaskStatus.FAILED).values_list("last_error", flat=True):
        first_line = error.strip().splitlines()[0][:300] if error and error.strip() else "unknown error"
        errors[first_line] = errors.get(first_line, 0) + 1
    return {"counts": {str(k): v for k, v in counts.items() if v},
            "errors": sorted(errors.items(), key=lambda item: -item[1])[:5]}


def last_task_id() -> int:
    from publishing.models import PublishTask

    return PublishTask.objects.order_by("-id").values_list("id", flat=True).first() or 0


def cache_invalidation_block(record, *, since_task_id: int) -> dict:
    """The `cacheInvalidation` block of a write: NotRequired, or the publish task it queued and its invalidation."""
    from publishing.models import PublishTask, TaskStatus
    from publishing.outbox import record_kind

    task = (
        PublishTask.objects.for_record(record_kind(record), record.pk)
        .filter(id__gt=since_task_id).order_by("-id").first()
    )
    if task is None:
        return dict(NOT_REQUIRED)
    invalidation = task.invalidations.order_by("-id").first()
    if invalidation is not None:
        return {
            "status": "InProgress" if invalidation.cloudfront_id else "Recorded",
            "invalidationId": invalidation.cloudfront_id or invalidation.caller_reference,
            "publishTaskId": task.pk,
            "paths": invalidation.items,
            "changedPaths": invalidation.changed_paths,
        }
    status = {TaskStatus.FAILED: "Failed", TaskStatus.DONE: "NotRequired"}.get(task.status, "Pending")
    return {"status": status, "invalidationId": None, "publishTaskId": task.pk,
            "reason": "Published by the worker; the CDN is invalidated when the task is applied."}


def invalidate_paths(paths: list[str], *, request_id: str) -> dict:
    """A manual invalidation (spec Example 5) through publishing's configured CDN backend."""
    from publishing import cdn

    invalidation = cdn.invalidate(paths, scope=f"api-{request_id}")
    if invalidation is None:
        raise ValueError("Nothing to invalidate: give at least one /api/ path or #cache-tag.")
    sent = bool(invalidation.cloudfront_id)
    return {
        "success": True,
        "invalidationId": invalidation.cloudfront_id or invalidation.caller_reference,
        "status": "InProgress" if sent else "Recorded",
        "paths": invalidation.items,
        "estimatedCompletion": (invalidation.created_at + timedelta(minutes=5)).replace(microsecond=0).isoformat(),
    }


def cache_status(*, limit: int = 20) -> dict:
    from publishing import cdn
    from publishing.models import Invalidation, PublishTask, TaskStatus

    backend = type(cdn.get_backend()).__name__
    counts = {status: PublishTask.objects.filter(status=status).count() for status in TaskStatus.values}
    recent = [
        {
            "invalidationId": inv.cloudfront_id or inv.caller_reference,
            "status": inv.get_status_display(),
            "items": inv.items,
            "createdAt": inv.created_at.isoformat(),
            "publishTaskId": inv.task_id,
        }
        for inv in Invalidation.objects.order_by("-id")[:limit]
    ]
    return {
        "backend": backend,
        "distributionId": settings.CLOUDFRONT_DISTRIBUTION_ID or None,
        "publishTasks": counts,
        "recentInvalidations": recent,
    }


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
        status = "ok"
    except Exception as exc:  # a health check reports any failure; it must not raise
        detail, status = {"error": f"{type(exc).__name__}: {exc}"[:300]}, "error"
    return {"status": status, "latencyMs": round((time.perf_counter() - started) * 1000, 1), **(detail or {})}


def _botocore_config():
    from botocore.config import Config

    return Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 1})


def check_database() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_dynamodb() -> dict:
    import boto3

    client = boto3.client(
        "dynamodb", region_name=settings.AWS_REGION,
        endpoint_url=settings.AWS_ENDPOINT_URL_DYNAMODB or None, config=_botocore_config(),
    )
    table = client.describe_table(TableName=settings.DYNAMODB_TABLE_NAME)["Table"]
    return {"table": settings.DYNAMODB_TABLE_NAME, "tableStatus": table.get("TableStatus")}


def check_cloudfront() -> dict:
    distribution_id = settings.CLOUDFRONT_DISTRIBUTION_ID
    if not distribution_id:
        return {"mode": "recording", "detail": "No distribution configured: invalidations are recorded locally."}
    import boto3

    client = boto3.client("cloudfront", config=_botocore_config())
    answer = client.get_distribution(Id=distribution_id)["Distribution"]
    return {"mode": "cloudfront", "distributionId": distribution_id, "distributionStatus": answer.get("Status")}


def check_publishing() -> dict:
    """Failed publish tasks, each with its record and reason; any makes the service degraded (what editors
    approved is not all public: an import's tasks, a record too large to publish)."""
    from publishing.models import PublishTask, TaskStatus

    failed = PublishTask.objects.filter(status=TaskStatus.FAILED).order_by("id")
    shown = [{"task": t.pk, "record": f"{t.kind} {t.record_key}", "attempts": t.attempts, "error": t.last_error[:300]}
             for t in failed[:10]]
    detail = {"failedTasks": failed.count(), "failed": shown,
              "pending": PublishTask.objects.filter(status=TaskStatus.PENDING).count()}
    if shown:
        first = (shown[0]["error"] or "unknown error").strip().splitlines()[0][:200]
        detail.update(status="error", error=f"{detail['failedTasks']} publish task(s) failed (oldest #{shown[0]['task']}: {first})")
    return detail


def health() -> dict:
    checks = {
        "database": _timed(check_database),
        "dynamodb": _timed(check_dynamodb),
        "cloudfront": _timed(check_cloudfront),
        "publishing": _timed(check_publishing),
    }
    healthy = all(c["status"] == "ok" for c in checks.values())
    return {"status": "healthy" if healthy else "degraded", "checks": checks,
            "timestamp": timezone.now().replace(microsecond=0).isoformat()}
