"""Sending notifications: one function per message, each called after the change it reports has committed.

E-mail goes through Django's e-mail framework (console locally, Amazon SES in production through
django-ses). A failure to send is logged and never undoes the change it reports.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEntry

from . import selectors
from .models import AlertKind, PublishingAlert

logger = logging.getLogger(__name__)


def admin_url(path: str) -> str:
    return settings.ADMIN_BASE_URL.rstrip("/") + path


def _send(messages: list[EmailMessage]) -> int:
    """Send what can be sent; a mail server's failure is logged, not raised (the change has committed)."""
    if not messages:
        return 0
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:  # noqa: BLE001  (any transport error: the change stands, the log says who missed a mail)
        logger.exception("notification e-mail not sent", extra={"recipients": [m.to for m in messages]})
        return 0


def _mail(template: str, context: dict, to: list[str]) -> EmailMessage:
    subject = " ".join(render_to_string(f"notifications/{template}_subject.txt", context).split())
    body = render_to_string(f"notifications/{template}.txt", context)
    return EmailMessage(subject=subject, body=body, to=to)


def notify_review_outcome(*, audit_entry_id: int) -> int:
    """Tell the record's submitter and last editor that it was approved or returned (with the reason or comment)."""
    entry = AuditEntry.objects.select_related("actor", "content_type").filter(pk=audit_entry_id).first()
    if entry is None or entry.content_type is None or entry.content_type.app_label != "catalog":
        return 0
    model = entry.content_type.model_class()
    record = model.objects.filter(pk=entry.object_pk).select_related("submitted_by", "last_edited_by").first()
    if record is None:
        return 0
    people = {u.pk: u for u in (record.submitted_by, record.last_edited_by) if u is not None}
    people.pop(entry.actor_id, None)  # nobody is told about their own step
    approved = entry.action == AuditAction.APPROVE
    context = {
        "record": record,
        "kind": record._meta.verbose_name,
        "approved": approved,
        "by": entry.actor_name or "the system",
        "words": (entry.detail or {}).get("comment" if approved else "reason", ""),
        "url": admin_url(reverse(f"admin:catalog_{model._meta.model_name}_change", args=[record.pk])),
    }
    messages = [_mail("review_outcome", {**context, "person": person}, [person.email])
                for person in people.values() if selectors.wants(person, "review_outcomes")]
    return _send(messages)


def send_review_digest() -> dict:
    """One e-mail per approver who wants it and has records to review; returns {"sent": n, "records": m}."""
    messages, waiting = [], 0
    for person in selectors.approvers():
        if not selectors.wants(person, "review_digest"):
            continue
        review = selectors.review_waiting_for(person)
        if not review["yours"]:
            continue
        waiting = max(waiting, len(review["yours"]) + len(review["others"]))
        messages.append(_mail("review_digest", {
            "person": person, "yours": review["yours"], "others": review["others"],
            "queue_url": admin_url(reverse("admin:review_queue")),
            "base_url": settings.ADMIN_BASE_URL.rstrip("/"),
        }, [person.email]))
    return {"sent": _send(messages), "records": waiting}


def send_publishing_alerts(*, now=None) -> dict:
    """Tell the people on duty about publishing tasks that failed, and again when one stays failed too long.

    Each (task, kind) is reported once: a `PublishingAlert` row is written once the mail has gone.
    """
    from publishing.models import PublishTask, TaskStatus

    now = now or timezone.now()
    threshold = now - timedelta(minutes=settings.PUBLISHING_ALERT_AFTER_MINUTES)
    failed = list(PublishTask.objects.filter(status=TaskStatus.FAILED).order_by("pk"))
    sent = {(a.task_id, a.kind) for a in PublishingAlert.objects.filter(task_id__in=[t.pk for t in failed])}
    new = [t for t in failed if (t.pk, AlertKind.FAILED) not in sent]
    stuck = [t for t in failed if t.created_at <= threshold and (t.pk, AlertKind.STUCK) not in sent]
    to = selectors.on_duty_emails()
    if not (new or stuck) or not to:
        return {"failed": len(new), "stuck": len(stuck), "sent": 0}
    context = {
        "new": new, "stuck": stuck, "minutes": settings.PUBLISHING_ALERT_AFTER_MINUTES,
        "tasks_url": admin_url(reverse("admin:publishing_publishtask_changelist") + "?state=failed"),
    }
    sent_count = _send([_mail("publishing_alert", context, to)])
    if sent_count:  # not sent (mail server down): the next run tries again
        PublishingAlert.objects.bulk_create(
            [PublishingAlert(task_id=t.pk, kind=AlertKind.FAILED, recipients=len(to)) for t in new]
            + [PublishingAlert(task_id=t.pk, kind=AlertKind.STUCK, recipients=len(to)) for t in stuck],
            ignore_conflicts=True,
        )
    return {"failed": len(new), "stuck": len(stuck), "sent": sent_count}
