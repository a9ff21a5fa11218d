"""Session limits and the periodic re-check with the identity provider.

`SessionLimitsMiddleware` ends a signed-in session SESSION_COOKIE_AGE after sign-in (12 h:
the cookie age alone would slide with every save) or after SESSION_IDLE_TIMEOUT without a
request (30 min). `OIDCSessionRefresh` is mozilla-django-oidc's SessionRefresh, active only when
SSO is configured: when the ID token's renewal time has passed it re-authenticates silently
(`prompt=none`), which also re-syncs the person's groups.
"""

import time

from django.conf import settings
from django.contrib import auth, messages
from django.shortcuts import redirect
from django.utils.deprecation import MiddlewareMixin
from mozilla_django_oidc.middleware import SessionRefresh

STARTED_KEY = "auth_started_at"
ACTIVITY_KEY = "last_activity_at"
# Write the activity time at most this often: a session save per request would be wasteful.
ACTIVITY_WRITE_INTERVAL = 60


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            started = request.session.get(STARTED_KEY)
            last = request.session.get(ACTIVITY_KEY, started)
            if started is None:
                request.session[STARTED_KEY] = request.session[ACTIVITY_KEY] = now
            elif now - started > settings.SESSION_COOKIE_AGE:
                return self._end(request, "Your session reached its maximum length. Please sign in again.", "max_age")
            elif last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                return self._end(request, "You were signed out after a period of inactivity.", "idle")
            elif last is None or now - last > ACTIVITY_WRITE_INTERVAL:
                request.session[ACTIVITY_KEY] = now
        return self.get_response(request)

    def _end(self, request, message: str, why: str):
        from audit.context import audit_context, context_from_request
        from audit.models import AuditAction
        from audit.services import audit_record

        with audit_context(**context_from_request(request)):
            audit_record(action=AuditAction.LOGOUT, detail={"why": why})
        request._session_expired = True  # the user_logged_out receiver need not record it again
        auth.logout(request)
        if request.path.startswith("/api/"):
            from django.http import JsonResponse

            return JsonResponse({"error": {"code": "UNAUTHORIZED", "message": message}}, status=401)
        messages.info(request, message)
        return redirect(f"{settings.LOGOUT_REDIRECT_URL}?next={request.path}")


def _setting(name: str, default=None):
    return property(lambda self: getattr(settings, name, default))


class OIDCSessionRefresh(SessionRefresh):
    """Reads its settings per request (the library reads them once), and does nothing without SSO."""

    def __init__(self, get_response):
        MiddlewareMixin.__init__(self, get_response)

    OIDC_EXEMPT_URLS = _setting("OIDC_EXEMPT_URLS", [])
    OIDC_OP_AUTHORIZATION_ENDPOINT = _setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_RP_CLIENT_ID = _setting("OIDC_RP_CLIENT_ID")
    OIDC_STATE_SIZE = _setting("OIDC_STATE_SIZE", 32)
    OIDC_AUTHENTICATION_CALLBACK_URL = _setting("OIDC_AUTHENTICATION_CALLBACK_URL", "oidc_authentication_callback")
    OIDC_RP_SCOPES = _setting("OIDC_RP_SCOPES", "openid email")
    OIDC_USE_NONCE = _setting("OIDC_USE_NONCE", True)
    OIDC_NONCE_SIZE = _setting("OIDC_NONCE_SIZE", 32)

    def process_request(self, request):
        if not settings.OIDC_ENABLED:
            return None
        return super().process_request(request)
