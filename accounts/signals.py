"""Sign-in, sign-out and refused password attempts, recorded in the audit trail and the session."""

import logging
import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.models import AuditAction
from audit.services import audit_record

from .middleware import ACTIVITY_KEY, STARTED_KEY

logger = logging.getLogger("metalfests.accounts")


@receiver(user_logged_in)
def _record_login(sender, request, user, **kwargs):
    now = time.time()
    if request is not None and hasattr(request, "session"):
        request.session[STARTED_KEY] = request.session[ACTIVITY_KEY] = now
    claims = getattr(user, "_sso_claims", None)
    if claims is not None:
        sub = str(claims.get("sub", ""))
        if request is not None:
            request.session["oidc_sub"] = sub
        audit_record(
            action=AuditAction.LOGIN, obj=user, user=user, actor_sub=sub,
            detail={"backend": "sso", "groups": sorted(user.groups.values_list("name", flat=True))},
        )
    elif getattr(user, "_break_glass", False):
        logger.warning("break-glass sign-in", extra={"actor": user.get_username()})
        audit_record(action=AuditAction.BREAK_GLASS, obj=user, user=user, detail={"backend": "password"})
    else:
        audit_record(action=AuditAction.LOGIN, obj=user, user=user, detail={"backend": "password"})


@receiver(user_logged_out)
def _record_logout(sender, request, user, **kwargs):
    if user is None or getattr(request, "_session_expired", False):
        return
    sub = request.session.get("oidc_sub", "") if request is not None else ""
    audit_record(action=AuditAction.LOGOUT, obj=user, user=user, actor_sub=sub)


@receiver(user_login_failed)
def _record_failed_password(sender, credentials, request=None, **kwargs):
    if "username" not in credentials:
        return  # single sign-on refusals are recorded by the backend, with their reason
    audit_record(
        action=AuditAction.LOGIN_REFUSED, user=None, actor_name=str(credentials.get("username", ""))[:255],
        detail={"backend": "password"},
    )


@receiver(user_locked_out)
def _record_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    """django-axes locked password sign-in for a username or an address (README "Security")."""
    logger.warning("password sign-in locked out", extra={"actor": str(username or "")[:255]})
    audit_record(
        action=AuditAction.LOGIN_REFUSED, user=None, actor_name=str(username or "")[:255],
        detail={"backend": "password", "why": "locked out after too many failed passwords"},
    )
