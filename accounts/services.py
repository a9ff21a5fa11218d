"""Identity and API-key services: sign-in group sync, refusal reasons, key creation and revocation."""

import json
import logging
import secrets
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record

from .groups import ADMIN_GROUPS, FULL
from .models import ApiKey, Identity, hash_api_key

logger = logging.getLogger("metalfests.accounts")


class SignInRefused(Exception):
    """The person is known to the provider but may not use the admin; `reason` says why."""

    def __init__(self, reason: str, *, user=None, claims: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.user = user
        claims = claims or {}
        self.sub = str(claims.get("sub", ""))
        self.who = str(claims.get("cognito:username") or claims.get("email") or self.sub)


def _as_list(value) -> list[str]:
    """A claim as a list of strings: a JSON list, "[a, b]" (Cognito's multi-value attribute), or "a,b"."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
            if isinstance(parsed, list):
                return _as_list(parsed)
        except ValueError:
            text = text.strip("[]")
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def admin_groups_from_claims(claims: dict) -> list[str]:
    """The Django admin groups a verified token asserts, by group name or by Identity Center group ID."""
    by_provider_name = {provider: django for django, provider in settings.OIDC_GROUP_NAMES.items()}
    found = set()
    for name in _as_list(claims.get(settings.OIDC_GROUPS_CLAIM)):
        if name in by_provider_name:
            found.add(by_provider_name[name])
    if settings.OIDC_GROUP_ID_CLAIM:
        for group_id in _as_list(claims.get(settings.OIDC_GROUP_ID_CLAIM)):
            mapped = settings.OIDC_GROUP_ID_MAP.get(group_id)
            if mapped in ADMIN_GROUPS:
                found.add(mapped)
    return [group for group in ADMIN_GROUPS if group in found]


def _free_username(preferred: str, sub: str) -> str:
    User = get_user_model()
    base = (preferred or f"sso-{sub}")[:140]
    if not User.objects.filter(username=base).exists():
        return base
    return f"{base}-{sub[:12]}"[:150]


def _sync_groups(user, wanted: list[str]) -> dict:
    """Make the user's admin-group membership exactly `wanted`; other groups are left alone."""
    current = set(user.groups.filter(name__in=ADMIN_GROUPS).values_list("name", flat=True))
    added, removed = sorted(set(wanted) - current), sorted(current - set(wanted))
    if removed:
        user.groups.remove(*Group.objects.filter(name__in=removed))
    if added:
        user.groups.add(*Group.objects.filter(name__in=added))
    return {"added": added, "removed": removed}


def identity_sign_in(*, claims: dict, issuer: str, source: str = "sso"):
    """Find or create the user for verified claims (matched by issuer + sub) and re-sync access.

    Groups and staff status follow the token exactly: an admin group no longer asserted is
    removed. A person with no admin group is refused (SignInRefused), and loses staff status
    if they had it. SSO users are never superusers: AdminFull carries every permission.
    """
    user, wanted = _sync_identity(claims=claims, issuer=issuer, wanted=admin_groups_from_claims(claims), source=source)
    if user is None or not wanted:
        raise SignInRefused(_no_group_reason(claims), user=user, claims=claims)
    if not user.is_active:
        raise SignInRefused("Your account is deactivated in this admin. Ask an administrator.", user=user, claims=claims)
    return user


def _issued_at(claims: dict):
    try:
        return datetime.fromtimestamp(int(claims["iat"]), tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None


@transaction.atomic
def _sync_identity(*, claims: dict, issuer: str, wanted: list[str], source: str):
    """Returns (user, the admin groups now in force). Committed even when the sign-in is then refused,
    so removed groups stay removed.

    A token issued before the newest token whose groups were applied (`Identity.groups_issued_at`)
    changes no group: its claims are an older view of the provider, so a bearer token minted before
    a group was removed cannot restore it. Such a token still signs in, with the groups in force.
    """
    sub = str(claims["sub"])
    identity = Identity.objects.select_related("user").select_for_update().filter(issuer=issuer, sub=sub).first()
    username_claim = str(claims.get("cognito:username") or claims.get("username") or "")
    issued = _issued_at(claims)
    if identity is None:
        if not wanted:
            return None, wanted  # never create an account for someone who may not use the admin
        User = get_user_model()
        user = User.objects.create_user(_free_username(username_claim or claims.get("email", ""), sub))
        user.set_unusable_password()
        identity = Identity(user=user, issuer=issuer, sub=sub)
        created = True
    else:
        user, created = identity.user, False
    synced = identity.groups_issued_at
    if synced is not None and (issued is None or issued < synced):
        current = set(user.groups.filter(name__in=ADMIN_GROUPS).values_list("name", flat=True))
        wanted = [group for group in ADMIN_GROUPS if group in current]
        change = {"added": [], "removed": []}
    else:
        change = _sync_groups(user, wanted)
        identity.groups_issued_at = issued
    before = (user.is_staff, user.is_superuser, user.email, user.first_name, user.last_name)
    user.is_staff = bool(wanted)
    user.is_superuser = False
    if "email" in claims:
        user.email = str(claims.get("email") or "")[:254]
    if claims.get("name"):
        first, _, last = str(claims["name"]).partition(" ")
        user.first_name, user.last_name = first[:150], last[:150]
    if created or before != (user.is_staff, user.is_superuser, user.email, user.first_name, user.last_name):
        user.save()
    now = timezone.now()
    identity_before = (identity.email, identity.username_claim, identity.asserted_groups, synced)
    identity.email = user.email
    identity.username_claim = username_claim[:255]
    identity.asserted_groups = wanted
    # An API call re-checks on every request: write the row only when something moved (or once a minute).
    stale = identity.last_sign_in_at is None or source != "api" or (now - identity.last_sign_in_at).total_seconds() > 60
    moved = identity_before != (identity.email, identity.username_claim, identity.asserted_groups, identity.groups_issued_at)
    if created or stale or moved:
        identity.last_sign_in_at = now
        identity.save()
    if created or change["added"] or change["removed"]:
        audit_record(
            action=AuditAction.UPDATE, obj=user, user=user, actor_sub=sub,
            changes={"groups": [sorted(set(wanted) - set(change["added"]) | set(change["removed"])), wanted]},
            detail={"reason": "groups re-synced from the identity provider", "via": source, "created": created},
        )
    return user, wanted


def _no_group_reason(claims: dict) -> str:
    names = ", ".join(settings.OIDC_GROUP_NAMES.values())
    who = claims.get("email") or claims.get("cognito:username") or claims.get("sub")
    return (
        f"You signed in as {who}, but your account is in none of the admin groups ({names}). "
        f"Access to the Metal Fests admin is given through those groups in IAM Identity Center: "
        f"ask an administrator to add you to one, then sign in again."
    )


# --- API keys -----------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(*, name: str, group_name: str, created_by: str = "") -> tuple[ApiKey, str]:
    """Create a named key acting with one admin group. Returns the key and its secret (shown once)."""
    if group_name not in ADMIN_GROUPS:
        raise ValueError(f"unknown group {group_name!r}; use one of {', '.join(ADMIN_GROUPS)}")
    if ApiKey.objects.filter(name=name).exists():
        raise ValueError(f"an API key named {name!r} exists already")
    group = Group.objects.get(name=group_name)
    raw = ApiKey.PREFIX + secrets.token_urlsafe(32)
    User = get_user_model()
    user = User.objects.create_user(_free_username(f"apikey-{name}", secrets.token_hex(6)))
    user.set_unusable_password()
    user.save()
    user.groups.set([group])
    key = ApiKey.objects.create(
        name=name, prefix=raw[:10], key_hash=hash_api_key(raw), group=group, user=user, created_by=created_by
    )
    audit_record(action=AuditAction.API_KEY, obj=key, detail={"event": "created", "group": group_name})
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> None:
    if key.revoked_at is not None:
        return
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    key.user.is_active = False
    key.user.save(update_fields=["is_active"])
    audit_record(action=AuditAction.API_KEY, obj=key, detail={"event": "revoked"})


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key matching `raw`, or None. Marks it used (at most once a minute)."""
    if not raw or not raw.startswith(ApiKey.PREFIX):
        return None
    key = ApiKey.objects.active().select_related("user", "group").filter(key_hash=hash_api_key(raw)).first()
    if key is None or not key.user.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def is_full_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.groups.filter(name=FULL).exists()))
