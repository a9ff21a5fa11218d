"""The outbox of publish tasks, the drain lease that serialises workers, and recorded CDN invalidations.

A task names the record by kind, primary key and key (never a foreign key: a
deleted record is gone once its transaction commits) and carries the public
snapshot before and after the change, so the projector knows which items the
old state owned.
"""

from django.db import models
from django.utils import timezone


class TaskStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    FAILED = "failed", "Failed (will be retried)"
    DONE = "done", "Done"


class PublishTaskQuerySet(models.QuerySet):
    def unfinished(self):
        return self.exclude(status=TaskStatus.DONE)

    def for_record(self, kind: str, record_pk: int):
        return self.filter(kind=kind, record_pk=record_pk)


class PublishTask(models.Model):
    """One change to what the public sees, waiting to be applied to DynamoDB and the CDN."""

    kind = models.CharField(max_length=16, help_text="Catalog model name: genre, role, band, festival, edition.")
    record_pk = models.BigIntegerField(help_text="Primary key of the catalog record (it may since be deleted).")
    record_key = models.CharField(max_length=210, help_text="The record's key at the change; festival/year for editions.")
    change = models.CharField(max_length=16, help_text="publish, unpublish, delete or rename.")
    previous_key = models.CharField(max_length=210, blank=True)
    before = models.JSONField(null=True, blank=True, help_text="Public snapshot before the change (None: not public).")
    after = models.JSONField(null=True, blank=True, help_text="Public snapshot after the change (None: not public).")
    related_before = models.JSONField(
        default=list, blank=True,
        help_text="Snapshots of dependent records removed with this one (a deleted festival's editions).",
    )
    revision = models.PositiveIntegerField(default=0, help_text="The record's published revision after the change.")

    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    done_at = models.DateTimeField(null=True, blank=True)

    # Outcome, filled in as the task is applied (kept across retries).
    items_written = models.PositiveIntegerField(default=0)
    items_deleted = models.PositiveIntegerField(default=0)
    invalidation_items = models.JSONField(
        default=list, blank=True,
        help_text="What this publish must invalidate; kept so a retry after a CDN failure still sends it.",
    )
    changed_paths = models.JSONField(
        default=list, blank=True,
        help_text="The public answers this publish changes (each list path stands for all its pages and filters).",
    )

    objects = PublishTaskQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "record_pk", "status"], name="publishing_task_record")]
        permissions = [("publish_publishtask", "Can retry publish tasks and run a republish")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.change} {self.kind} {self.record_key}"


class DrainLease(models.Model):
    """A named lease: at most one worker applies tasks at a time.

    Taken and renewed with conditional UPDATEs (atomic on SQLite and PostgreSQL alike).
    `token` grows with every acquisition and is written into items as their `rev`, so
    a worker whose lease has lapsed (a "zombie") can never overwrite what a later
    holder wrote: DynamoDB writes are conditioned on `rev <= token`.
    """

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=100, blank=True)
    token = models.BigIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.holder or 'free'})"


class InvalidationStatus(models.TextChoices):
    RECORDED = "recorded", "Recorded (no distribution configured)"
    SENT = "sent", "Sent to CloudFront"


class Invalidation(models.Model):
    """One CDN invalidation: recorded locally, or sent to CloudFront (with its id)."""

    caller_reference = models.CharField(max_length=128, unique=True)
    distribution_id = models.CharField(max_length=64, blank=True)
    items = models.JSONField(help_text="`#tag` items and paths, as sent in Paths.Items.")
    changed_paths = models.JSONField(
        default=list, blank=True,
        help_text="The public answers whose content changed, which the items above clear (for people; not sent).",
    )
    status = models.CharField(max_length=16, choices=InvalidationStatus.choices)
    cloudfront_id = models.CharField(max_length=64, blank=True)
    task = models.ForeignKey(PublishTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="invalidations")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.caller_reference}: {len(self.items)} items"


class RebuildCheckpoint(models.Model):
    """How far a full rebuild got: one that runs out of time (a Lambda) stops after a whole chunk of
    entities and the next run resumes after `last_entity`; deleted once the rebuild completes.

    A bulk drain's rebuild covers the tasks up to `last_task`; later tasks wait until it completes.
    """

    name = models.CharField(max_length=50, unique=True, default="rebuild")
    last_entity = models.CharField(max_length=400, blank=True, help_text="kind, tab, key of the last entity written.")
    entities_done = models.PositiveIntegerField(default=0)
    items_written = models.PositiveIntegerField(default=0)
    runs = models.PositiveIntegerField(default=0, help_text="Invocations so far.")
    last_task = models.BigIntegerField(null=True, blank=True, help_text="A bulk drain: the last task id it covers.")
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rebuild: {self.entities_done} entities done, after {self.last_entity or '(start)'}"
