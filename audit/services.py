"""Writing audit entries. Every service that changes something calls `audit_record`."""

import logging

from django.contrib.contenttypes.models import ContentType

from .context import current, valid_ip
from .models import AuditEntry

logger = logging.getLogger("metalfests.audit")


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def audit_record(*, action: str, obj=None, changes: dict | None = None, detail: dict | None = None, **overrides) -> AuditEntry:
    """Record one action by the current actor. `overrides` replace context fields (actor_name, source, ...)."""
    entry = audit_entry(action=action, obj=obj, changes=changes, detail=detail, **overrides)
    entry.save()
    logger.info(
        "audit",
        extra={
            "audit_action": entry.action,
            "actor": entry.actor_name,
            "actor_sub": entry.actor_sub,
            "source": entry.source,
            "object": f"{entry.content_type.model if entry.content_type else ''}:{entry.object_pk}",
            "changes": entry.changes,
        },
    )
    return entry


def audit_record_many(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Save entries built with `audit_entry` in bulk (an import's thousands): one INSERT per batch, one log line.

    Bulk inserts send no `post_save`: only for entries nobody listens to (the system's own steps).
    """
    saved = AuditEntry.objects.bulk_create(entries)
    if saved:
        logger.info("audit", extra={"audit_action": "bulk", "entries": len(saved), "source": saved[0].source,
                                    "actor": saved[0].actor_name})
    return saved


def audit_entry(*, action: str, obj=None, changes: dict | None = None, detail: dict | None = None,
                **overrides) -> AuditEntry:
    """The entry `audit_record` would save, unsaved (for `audit_record_many`)."""
    ctx = current()
    user = overrides.pop("user", ctx.user)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    entry = AuditEntry(
        action=action,
        source=overrides.pop("source", ctx.source),
        actor=user,
        actor_name=overrides.pop("actor_name", None) or (user.get_username() if user else ctx.actor_name),
        actor_sub=overrides.pop("actor_sub", ctx.actor_sub),
        api_key_name=overrides.pop("api_key_name", ctx.api_key_name),
        ip=valid_ip(overrides.pop("ip", ctx.ip)),  # an address or nothing, whoever set it
        user_agent=overrides.pop("user_agent", ctx.user_agent),
        changes=_plain(changes or {}),
        detail=_plain(detail or {}),
    )
    if overrides:
        raise TypeError(f"unknown audit fields: {sorted(overrides)}")
    if obj is not None:
        entry.content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        entry.object_pk = str(obj.pk)
        entry.object_repr = str(obj)[:255]
    return entry
