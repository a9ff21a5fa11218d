"""Who is calling the admin API: a Cognito access token (`Authorization: Bearer`) or an API key (`X-Api-Key`).

Both resolve to a Django user whose groups carry the permissions: the person behind the token
(matched by `sub`, groups re-synced from the token's `cognito:groups`), or the key's service
account (holding only the key's group). `request.auth` says which, for the audit trail.
"""

from dataclasses import dataclass

from django.conf import settings
from rest_framework import authentication, exceptions

from accounts.services import SignInRefused, api_key_authenticate, identity_sign_in
from accounts.tokens import ProviderUnavailable, TokenInvalid, verify_access_token
from audit.context import audit_context
from audit.models import AuditSource

from .throttling import ProviderUnavailableFailure


@dataclass(frozen=True)
class ApiCredential:
    kind: str  # "bearer" or "api_key"
    sub: str = ""
    api_key_name: str = ""
    client_id: str = ""


class CognitoAccessTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = token.strip()
        if not token:
            raise exceptions.AuthenticationFailed("The Authorization header has no token.")
        try:
            claims = verify_access_token(token)
        except TokenInvalid as exc:
            raise exceptions.AuthenticationFailed(f"The access token was refused: {exc}.") from exc
        except ProviderUnavailable as exc:
            raise ProviderUnavailableFailure("The access token could not be checked right now.") from exc
        try:
            # Authentication runs before the view sets the API's audit context: what the sign-in
            # records (a group re-sync) comes from the API too.
            with audit_context(source=AuditSource.API):
                user = identity_sign_in(claims=claims, issuer=settings.OIDC_OP_ISSUER, source="api")
        except SignInRefused as exc:
            raise exceptions.PermissionDenied(exc.reason) from exc
        return user, ApiCredential(kind="bearer", sub=str(claims["sub"]), client_id=str(claims.get("client_id", "")))

    def authenticate_header(self, request):
        return 'Bearer realm="metalfests-admin-api"'


class ApiKeyAuthentication(authentication.BaseAuthentication):
    header = "HTTP_X_API_KEY"

    def authenticate(self, request):
        raw = request.META.get(self.header)
        if raw is None:
            return None
        key = api_key_authenticate(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("The API key is unknown or revoked.")
        return key.user, ApiCredential(kind="api_key", api_key_name=key.name)

    def authenticate_header(self, request):
        return 'ApiKey realm="metalfests-admin-api"'


from . import schema  # noqa: E402,F401  (registers the OpenAPI descriptions of these classes)
