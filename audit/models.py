"""The audit entry: append-only; the model refuses updates and deletes."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    SUBMIT = "submit", "Submit for review"
    APPROVE = "approve", "Approve"
    RETURN_TO_DRAFT = "return_to_draft", "Return to draft"
    UNPUBLISH = "unpublish", "Unpublish"
    RENAME = "rename", "Rename key"
    REVERT = "revert", "Revert"
    PUBLISH = "publish", "Publish"
    IMPORT = "import", "Import"
    INVALIDATE = "invalidate", "Cache invalidation"
    LOGIN = "login", "Sign in"
    LOGIN_REFUSED = "login_refused", "Sign-in refused"
    LOGOUT = "logout", "Sign out"
    BREAK_GLASS = "break_glass", "Break-glass sign-in"
    API_KEY = "api_key", "API key change"


class AuditSource(models.TextChoices):
    ADMIN = "admin", "Admin"
    API = "api", "Admin API"
    COMMAND = "command", "Management command"
    WORKER = "worker", "Publishing worker"
    SYSTEM = "system", "System"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit entries cannot be changed.")

    def delete(self):
        raise PermissionError("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices, db_index=True)
    source = models.CharField(max_length=16, choices=AuditSource.choices, default=AuditSource.SYSTEM)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=255, blank=True, db_index=True, help_text="Username or API key name at the time.")
    actor_sub = models.CharField(max_length=255, blank=True, help_text="OpenID Connect subject, when signed in by SSO.")
    api_key_name = models.CharField(max_length=100, blank=True)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_pk = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="Field name → [before, after].")
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["content_type", "object_pk", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or 'system'} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be deleted.")
