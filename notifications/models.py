"""Each person's notification preferences, and which publishing alerts were sent already."""

from django.conf import settings
from django.db import models


class NotificationPreference(models.Model):
    """What a person wants to be told by e-mail (the admin's "waiting for you" panel shows it all anyway)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference")
    review_outcomes = models.BooleanField(
        default=True, verbose_name="My records approved or returned",
        help_text="An e-mail when a record you submitted or last edited is approved or returned to draft (with the reason).",
    )
    review_digest = models.BooleanField(
        default=True, verbose_name="Review digest (approvers)",
        help_text="One e-mail listing the records waiting for your review, when the digest runs and something waits.",
    )
    publishing_alerts = models.BooleanField(
        default=False, verbose_name="I am on duty for publishing",
        help_text="An e-mail when publishing tasks fail, and again when they stay failed past the alert threshold.",
    )

    class Meta:
        verbose_name = "notification preference"

    def __str__(self):
        return f"Notification preferences of {self.user}"


class AlertKind(models.TextChoices):
    FAILED = "failed", "Publishing task failed"
    STUCK = "stuck", "Publishing task still failed past the threshold"


class PublishingAlert(models.Model):
    """One alert sent about one publishing task, so the scheduled check never repeats itself."""

    task_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task_id", "kind"], name="one_alert_per_task_and_kind")]
