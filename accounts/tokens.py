"""Verifying the provider's JSON Web Tokens: ID tokens at sign-in, access tokens at the admin API.

Only RS256 is accepted (never `none`, never HS256 with a guessable key); the key comes from the
provider's JWKS, fetched with timeouts and cached; issuer, audience/client id, `token_use` and
expiry are all checked. Any failure raises `TokenInvalid` with a reason fit for the audit trail.
"""

import logging
import threading
import time

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation

logger = logging.getLogger("metalfests.accounts")

ALGORITHMS = ["RS256"]


class TokenInvalid(SuspiciousOperation):
    """The token is forged, expired, meant for someone else, or otherwise unacceptable."""


class ProviderUnavailable(RuntimeError):
    """The provider (its JWKS or token endpoint) did not answer in time or answered an error."""


class JWKSCache:
    """The provider's signing keys by `kid`, refetched when stale or when an unknown `kid` appears."""

    def __init__(self):
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._url = ""
        self._fetched_at = 0.0

    def clear(self) -> None:
        with self._lock:
            self._keys, self._url, self._fetched_at = {}, "", 0.0

    def _fetch(self, url: str) -> None:
        try:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"could not fetch the provider's JWKS from {url}: {exc}") from exc
        keys = {}
        for entry in document.get("keys", []):
            if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") != "RS256":
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm="RS256")
            except (KeyError, jwt.PyJWTError) as exc:
                logger.warning("skipping an unusable JWKS key", extra={"error": str(exc)})
        self._keys, self._url, self._fetched_at = keys, url, time.monotonic()

    def key(self, kid: str) -> jwt.PyJWK:
        url = settings.OIDC_OP_JWKS_ENDPOINT
        if not url:
            raise ProviderUnavailable("OIDC_OP_JWKS_ENDPOINT is not set")
        with self._lock:
            stale = url != self._url or time.monotonic() - self._fetched_at > settings.OIDC_JWKS_CACHE_SECONDS
            if stale or kid not in self._keys:
                # An unknown kid may be a rotated key: refetch, but at most once every 10 s.
                if stale or time.monotonic() - self._fetched_at > 10:
                    self._fetch(url)
            if kid not in self._keys:
                raise TokenInvalid(f"no signing key with kid {kid!r} in the provider's JWKS")
            return self._keys[kid]


jwks = JWKSCache()


def _decode(token: str, **options) -> dict:
    if not token or not isinstance(token, str):
        raise TokenInvalid("no token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenInvalid(f"malformed token: {exc}") from exc
    if header.get("alg") not in ALGORITHMS:
        raise TokenInvalid(f"token signed with {header.get('alg')!r}; only RS256 is accepted")
    key = jwks.key(str(header.get("kid", "")))
    try:
        return jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            issuer=settings.OIDC_OP_ISSUER,
            leeway=settings.OIDC_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "sub"], **options.pop("options", {})},
            **options,
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenInvalid("token expired") from exc
    except jwt.InvalidIssuerError as exc:
        raise TokenInvalid("token from another issuer") from exc
    except jwt.InvalidAudienceError as exc:
        raise TokenInvalid("token meant for another client") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenInvalid("token signature does not verify") from exc
    except jwt.PyJWTError as exc:
        raise TokenInvalid(f"invalid token: {exc}") from exc


def verify_id_token(token: str, *, nonce: str | None) -> dict:
    """The claims of an ID token issued to this client for this sign-in attempt."""
    if not settings.OIDC_OP_ISSUER:
        raise ProviderUnavailable("OIDC_OP_ISSUER is not set")
    claims = _decode(token, audience=settings.OIDC_RP_CLIENT_ID)
    if claims.get("token_use", "id") != "id":
        raise TokenInvalid(f"token_use is {claims.get('token_use')!r}, not 'id'")
    if nonce is None or claims.get("nonce") != nonce:
        raise TokenInvalid("nonce does not match this sign-in attempt")
    return claims


def verify_access_token(token: str) -> dict:
    """The claims of a Cognito access token issued to one of our app clients.

    Cognito access tokens carry `client_id` and `token_use: "access"` and no `aud`.
    """
    if not settings.OIDC_OP_ISSUER:
        raise TokenInvalid("single sign-on is not configured")
    claims = _decode(token, options={"verify_aud": False})
    if claims.get("token_use") != "access":
        raise TokenInvalid(f"token_use is {claims.get('token_use')!r}, not 'access'")
    allowed = {settings.OIDC_RP_CLIENT_ID, *settings.OIDC_API_CLIENT_IDS} - {""}
    if claims.get("client_id") not in allowed:
        raise TokenInvalid("token issued to another client")
    return claims
