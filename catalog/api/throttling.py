"""Slowing down credential guessing at the admin API (DRF throttles on failed authentication).

Every failed authentication (an unknown or revoked API key, a forged, expired or foreign bearer
token) is counted per client address and, for API keys, per key prefix (the first 10
characters, `ApiKey.prefix`). While either count is over its rate, every request from that
address or with that prefix is answered 429 `RATE_LIMIT_EXCEEDED` with `Retry-After`, before
its credentials are even looked at, so a guess gets no answer at all. Successful calls are not
counted. A provider that cannot be reached (`ProviderUnavailable`) is not the caller's failure
and is not counted.

The counts live in the `throttle` cache, a database cache by default, so every Lambda instance
of the admin sees the same counts (a per-process cache would give each instance its own budget).
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import caches
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from audit.context import client_ip

KEY_PREFIX_LENGTH = 10  # as accounts.models.ApiKey.prefix


class FailedAuthenticationThrottle(SimpleRateThrottle):
    """Failed authentications of one ident (scope "ip" or "key_prefix") within the scope's rate."""

    def __init__(self, scope: str, ident: str):
        self.scope = scope
        self.ident = ident
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.cache = caches[settings.API_AUTH_FAILURE_CACHE]
        digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        self.key = f"api-auth-failures:{scope}:{digest}"

    def get_rate(self):
        return settings.API_AUTH_FAILURE_RATES[self.scope]

    def _history(self) -> list[float]:
        self.now = time.time()
        return [moment for moment in self.cache.get(self.key, []) if moment > self.now - self.duration]

    def blocked_for(self) -> float | None:
        """Seconds until this ident may try again, or None when it is under its rate."""
        self.history = self._history()
        if len(self.history) < self.num_requests:
            return None
        return self.wait()

    def record_failure(self) -> None:
        history = self._history()
        history.insert(0, self.now)
        self.cache.set(self.key, history[: self.num_requests + 1], self.duration)


def _throttles(request) -> list[FailedAuthenticationThrottle]:
    throttles = [FailedAuthenticationThrottle("ip", client_ip(request) or "unknown")]
    raw_key = request.META.get("HTTP_X_API_KEY")
    if raw_key:
        throttles.append(FailedAuthenticationThrottle("key_prefix", raw_key.strip()[:KEY_PREFIX_LENGTH]))
    return throttles


def refuse_while_throttled(request) -> None:
    """Raise Throttled (429, Retry-After) when the client's address or key prefix failed too often."""
    waits = [wait for wait in (throttle.blocked_for() for throttle in _throttles(request)) if wait is not None]
    if waits:
        raise exceptions.Throttled(wait=max(waits), detail="Too many failed authentications.")


class ProviderUnavailableFailure(exceptions.AuthenticationFailed):
    """The token could not be checked (the provider's keys were out of reach): not counted as a guess."""


def count_failure(request, exc) -> None:
    if isinstance(exc, exceptions.AuthenticationFailed) and not isinstance(exc, ProviderUnavailableFailure):
        for throttle in _throttles(request):
            throttle.record_failure()
