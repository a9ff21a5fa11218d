"""Review outcomes are read from the audit trail: every approval and return to draft writes an entry there.

The receiver only schedules the notice after the transaction commits (a rolled-back approval tells nobody);
what to send and to whom is `services.notify_review_outcome`.
"""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from audit.models import AuditAction, AuditEntry

OUTCOMES = {AuditAction.APPROVE, AuditAction.RETURN_TO_DRAFT}


@receiver(post_save, sender=AuditEntry, dispatch_uid="notifications.review_outcome")
def review_outcome(sender, instance, created, **kwargs):
    if created and instance.action in OUTCOMES and instance.content_type_id is not None:
        from .services import notify_review_outcome

        entry_id = instance.pk
        transaction.on_commit(lambda: notify_review_outcome(audit_entry_id=entry_id))
