"""A release and its items: which records go public together, the versions approved, and when.

A release is edited while a draft (records added and removed), approved as one
(each record's approved public snapshot is frozen on its item), and goes live at
`publish_at`: the records' published snapshots are set in one transaction and one
publish task carries them all. Business logic lives in `releases.services`.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class ReleaseState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Approved, scheduled"
    LIVE = "live", "Gone live"
    CANCELLED = "cancelled", "Cancelled"


class ReleaseQuerySet(models.QuerySet):
    def open(self):
        """Releases whose records may still change: drafts and scheduled ones."""
        return self.filter(state__in=[ReleaseState.DRAFT, ReleaseState.SCHEDULED])


class Release(models.Model):
    name = models.CharField(max_length=200, help_text="What the announcement is, e.g. “Hellfest 2027: 20 new bands”.")
    description = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=ReleaseState.choices, default=ReleaseState.DRAFT, db_index=True)
    publish_at = models.DateTimeField(
        null=True, blank=True, db_index=True,
        help_text="When it goes public (the publishing worker runs every minute). Empty while a draft.",
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="The zone the time was promised in; the admin shows the time in it.")
    version = models.PositiveIntegerField(default=1, editable=False, help_text="Bumped on every change to the release.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    went_live_at = models.DateTimeField(null=True, blank=True)
    publish_task_id = models.BigIntegerField(
        null=True, blank=True, help_text="The publish task that writes the release to the public tier.")
    # Going live (a database step) failed: retried by the worker, the people on duty told once.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        permissions = [("approve_release", "Can approve, schedule, unschedule and cancel releases")]

    def __str__(self) -> str:
        return self.name


class ReleaseItem(models.Model):
    """One record of a release (by content type and primary key: any reviewable record)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="items")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_pk = models.BigIntegerField()
    label = models.CharField(max_length=255, help_text="The record's name when added (it may be deleted since).")
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    approved_snapshot = models.JSONField(
        null=True, blank=True, help_text="The public fields as approved with the release: what goes live.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["release", "content_type", "object_pk"], name="release_item_once"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def kind(self) -> str:
        return self.content_type.model

    def record(self):
        return self.content_type.model_class().objects.filter(pk=self.object_pk).first()
