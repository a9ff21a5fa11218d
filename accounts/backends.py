"""Authentication backends: single sign-on through the Cognito user pool, and local passwords.

`CognitoOIDCBackend` closes the traps of mozilla-django-oidc's defaults: RS256 verified against
the JWKS with issuer, audience, expiry and nonce checked (the library checks neither issuer nor
audience), no userinfo call (groups are only in the ID token), users matched by `sub`, groups and
staff status re-synced at every sign-in. `LocalPasswordBackend` is Django's password sign-in,
allowed where ADMIN_PASSWORD_LOGIN is on, or for a local superuser when BREAK_GLASS_LOGIN is on.
"""

import logging

import requests
from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from audit.models import AuditAction
from audit.services import audit_record

from .services import SignInRefused, identity_sign_in
from .tokens import ProviderUnavailable, TokenInvalid, verify_id_token

logger = logging.getLogger("metalfests.accounts")

REFUSED_SESSION_KEY = "sso_refused_reason"


class CognitoOIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.OIDC_RP_SIGN_ALGO != "RS256":
            raise ValueError("OIDC_RP_SIGN_ALGO must be RS256")

    def authenticate(self, request, **kwargs):
        if not settings.OIDC_ENABLED or request is None:
            return None
        if not request.GET.get("code") or not request.GET.get("state"):
            return None
        self.request = request
        try:
            return super().authenticate(request, **kwargs)
        except SignInRefused as refused:
            self._refuse(
                refused.reason, user=refused.user, actor_name=refused.who, actor_sub=refused.sub,
                detail={"why": "no admin group" if refused.user is None or not refused.user.is_staff else "inactive"},
            )
        except TokenInvalid as exc:
            self._refuse(
                "Your sign-in could not be verified, so it was refused. Try again; if it keeps failing, "
                "tell an administrator.",
                detail={"why": "invalid ID token", "error": str(exc)},
            )
        except requests.HTTPError as exc:
            logger.error("identity provider refused the token request", extra={"error": str(exc)[:500]})
            self._refuse(
                "The sign-in service refused this application's request (a configuration problem). "
                "Tell an administrator.",
                detail={"why": "token request refused", "error": str(exc)[:500]},
            )
        except (ProviderUnavailable, requests.RequestException) as exc:
            logger.error("identity provider unavailable", extra={"error": str(exc)})
            self._refuse(
                "The sign-in service did not answer in time. Try again in a minute.",
                detail={"why": "provider unavailable", "error": str(exc)[:500]},
            )
        return None

    def _refuse(self, reason: str, *, user=None, actor_name: str = "", actor_sub: str = "", detail: dict) -> None:
        self.request.session[REFUSED_SESSION_KEY] = reason
        audit_record(
            action=AuditAction.LOGIN_REFUSED, user=user, actor_name=actor_name, actor_sub=actor_sub,
            detail={**detail, "backend": "sso"},
        )
        logger.warning("sign-in refused", extra={"reason": detail.get("why"), "error": detail.get("error", "")})

    # The library's verify_token checks neither issuer nor audience; ours checks everything.
    def verify_token(self, token, **kwargs):
        return verify_id_token(token, nonce=kwargs.get("nonce"))

    def get_userinfo(self, access_token, id_token, payload):
        # Cognito's userinfo answer lacks cognito:groups; the verified ID token has all we need.
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        user = identity_sign_in(claims=payload, issuer=settings.OIDC_OP_ISSUER)
        user._sso_claims = payload  # read by the user_logged_in receiver (audit, session)
        return user

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)  # refuses inactive users, unlike the library's


class LocalPasswordBackend(ModelBackend):
    """Passwords: allowed where ADMIN_PASSWORD_LOGIN is on; otherwise only break-glass superusers."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        if settings.ADMIN_PASSWORD_LOGIN:
            return super().authenticate(request, username=username, password=password, **kwargs)
        if not settings.BREAK_GLASS_LOGIN:
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or not user.is_superuser or hasattr(user, "identity"):
            return None  # break-glass is for the local superuser only, never an SSO account
        user._break_glass = True
        return user


class PasswordLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for password sign-ins only (README "Security").

    Listed first: a locked-out username or client address is refused before any password is
    checked (the response is 429, AXES_LOCKOUT_TEMPLATE). Single sign-on callbacks carry no
    password and are never locked by it; a call without a request (a shell) is not a web sign-in.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None or password is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
