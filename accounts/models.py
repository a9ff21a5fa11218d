"""Who a person is at the identity provider, and the admin API's keys.

A person is matched by the provider's `sub` (with its issuer), never by email: federated
email addresses are not verified. An API key is stored only as its SHA-256 hash.
"""

import hashlib

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone


class Identity(models.Model):
    """The link between a Django user and a subject at the OpenID provider."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity")
    issuer = models.CharField(max_length=255)
    sub = models.CharField(max_length=255, help_text="The provider's stable subject identifier.")
    email = models.EmailField(blank=True, help_text="As last asserted by the provider; not used for matching.")
    username_claim = models.CharField(max_length=255, blank=True)
    asserted_groups = models.JSONField(default=list, blank=True, help_text="Admin groups at the last sign-in.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    groups_issued_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Issue time (iat) of the newest token whose groups were applied; older tokens change no group.",
    )

    class Meta:
        verbose_name_plural = "identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "sub"], name="identity_unique_issuer_sub")]

    def __str__(self) -> str:
        return f"{self.user} ({self.sub})"


def hash_api_key(raw_key: str) -> str:
    # The key is 256 random bits: a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A named, revocable key for automation; it acts with the permissions of its group."""

    PREFIX = "mf_"

    name = models.CharField(max_length=100, unique=True, help_text="Shown in the audit trail as the actor.")
    prefix = models.CharField(max_length=16, editable=False, help_text="The key's first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key", editable=False,
        help_text="The service account the key acts as (holds only the key's group).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.CharField(max_length=255, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "API key"
        permissions = [("manage_apikey", "Can create and revoke API keys")]

    def __str__(self) -> str:
        return f"{self.name} ({self.group.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
