"""Retention of the audit trail: entries are kept at least 90 days, whatever anyone asks.

This is the one deliberate path that deletes audit entries (the model and its queryset refuse
everywhere else), used by `manage.py prune_audit`. The prune itself is recorded.
"""

from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone

from .models import AuditAction, AuditEntry
from .services import audit_record

MINIMUM_RETENTION_DAYS = 90


class RetentionTooShort(ValueError):
    pass


def audit_expired(*, older_than_days: int):
    """The entries older than `older_than_days` (at least 90)."""
    if older_than_days < MINIMUM_RETENTION_DAYS:
        raise RetentionTooShort(
            f"Audit entries are kept at least {MINIMUM_RETENTION_DAYS} days; {older_than_days} is too short."
        )
    return AuditEntry.objects.filter(at__lt=timezone.now() - timedelta(days=older_than_days))


@transaction.atomic
def audit_prune(*, older_than_days: int, dry_run: bool = False) -> int:
    expired = audit_expired(older_than_days=older_than_days)
    count = expired.count()
    if dry_run or not count:
        return count
    # Bypass the append-only queryset on purpose: retention is the only sanctioned delete.
    deleted, _ = models.QuerySet.delete(expired)
    audit_record(action=AuditAction.DELETE, detail={"retention_days": older_than_days, "audit_entries_deleted": deleted})
    return deleted
