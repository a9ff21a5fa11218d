"""Sign-in pages: the admin login (SSO button, password form only where allowed), logout, refusal."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, auth
from django.contrib.auth import BACKEND_SESSION_KEY
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from .backends import REFUSED_SESSION_KEY

SSO_BACKEND = "accounts.backends.CognitoOIDCBackend"


def password_login_allowed() -> bool:
    return settings.ADMIN_PASSWORD_LOGIN or settings.BREAK_GLASS_LOGIN


def login_context() -> dict:
    return {
        "sso_enabled": settings.OIDC_ENABLED,
        "password_login": password_login_allowed(),
        "break_glass": settings.BREAK_GLASS_LOGIN and not settings.ADMIN_PASSWORD_LOGIN,
    }


@never_cache
@csrf_protect
def admin_login(request, extra_context=None):
    """The admin's login page, with "Sign in with SSO"; a password POST is refused where passwords are off."""
    context = {**login_context(), **(extra_context or {})}
    if request.method == "POST" and not password_login_allowed():
        return render(
            request, "admin/login.html",
            {**admin.site.each_context(request), **context, "title": "Log in", "password_refused": True},
            status=403,
        )
    return admin.site.login(request, extra_context=context)


def cognito_logout_url(request) -> str:
    """Cognito's own logout endpoint: /logout?client_id=…&logout_uri=… (not OpenID's end_session)."""
    target = settings.OIDC_LOGOUT_REDIRECT_URL or request.build_absolute_uri(settings.LOGOUT_REDIRECT_URL)
    query = urlencode({"client_id": settings.OIDC_RP_CLIENT_ID, "logout_uri": target})
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{query}"


@never_cache
@require_POST
def logout(request):
    """End the Django session and, for an SSO session, the provider's session too."""
    was_sso = request.session.get(BACKEND_SESSION_KEY) == SSO_BACKEND or REFUSED_SESSION_KEY in request.session
    auth.logout(request)
    if settings.OIDC_ENABLED and was_sso and settings.OIDC_OP_LOGOUT_ENDPOINT:
        return redirect(cognito_logout_url(request))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@never_cache
def refused(request):
    """Why single sign-on did not let this person in (set by the backend), with a way out."""
    reason = request.session.get(REFUSED_SESSION_KEY) or (
        "The sign-in did not complete (it was cancelled, timed out, or your session with the sign-in "
        "service ended). Please sign in again."
    )
    context = {**admin.site.each_context(request), "title": "Sign-in refused", "reason": reason}
    return render(request, "accounts/refused.html", context, status=403)
