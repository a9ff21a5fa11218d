"""Guessing credentials at the admin API is slowed: failed authentications are throttled (issue 10, item 7)."""

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey

from .conftest import assert_envelope

pytestmark = pytest.mark.django_db


def wrong_key_client(raw: str, ip: str = "198.51.100.7") -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    client.credentials(HTTP_X_API_KEY=raw)
    return client


def test_200_wrong_api_keys_from_one_address_meet_429_with_retry_after(key_client, settings):
    settings.API_AUTH_FAILURE_RATES = {"ip": "20/min", "key_prefix": "10/min"}
    statuses = [wrong_key_client(f"mf_{i:04d}abc-{'x' * 30}").get("/api/admin/stats").status_code for i in range(200)]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}
    response = wrong_key_client("mf_another-guess").get("/api/admin/stats")
    error = assert_envelope(response, 429, "RATE_LIMIT_EXCEEDED")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert error["details"] == {"retryAfterSeconds": int(response["Retry-After"])}
    # A blocked address gets no answer about its guesses, right or wrong.
    good = key_client("AdminViewer")
    good.defaults["REMOTE_ADDR"] = "198.51.100.7"
    assert_envelope(good.get("/api/admin/stats"), 429, "RATE_LIMIT_EXCEEDED")
    # Others are not affected.
    good.defaults["REMOTE_ADDR"] = "203.0.113.50"
    assert good.get("/api/admin/stats").status_code == 200


def test_guesses_at_one_key_prefix_from_many_addresses_are_throttled(key_client, settings):
    settings.API_AUTH_FAILURE_RATES = {"ip": "1000/min", "key_prefix": "10/min"}
    good = key_client("AdminViewer")
    prefix = ApiKey.objects.get().prefix
    assert good.raw_key.startswith(prefix) and len(prefix) == 10
    statuses = [wrong_key_client(prefix + f"-wrong-{i}", ip=f"192.0.2.{i}").get("/api/admin/stats").status_code
                for i in range(1, 16)]
    assert statuses == [401] * 10 + [429] * 5
    assert wrong_key_client("mf_otherprefix", ip="192.0.2.99").get("/api/admin/stats").status_code == 401


def test_forged_bearer_tokens_are_throttled_by_address(minter, settings):
    settings.API_AUTH_FAILURE_RATES = {"ip": "5/min", "key_prefix": "10/min"}
    client = APIClient(REMOTE_ADDR="198.51.100.8")
    statuses = []
    for _ in range(8):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {minter.access_token(key=minter.forger)}")
        statuses.append(client.get("/api/admin/stats").status_code)
    assert statuses == [401] * 5 + [429] * 3


def test_successful_calls_are_not_counted(key_client, settings):
    settings.API_AUTH_FAILURE_RATES = {"ip": "3/min", "key_prefix": "3/min"}
    good = key_client("AdminViewer")
    assert {good.get("/api/admin/stats").status_code for _ in range(10)} == {200}


def test_a_provider_out_of_reach_is_not_counted_as_guessing(minter, settings, monkeypatch):
    from accounts.tokens import ProviderUnavailable

    def unavailable(self, kid):
        raise ProviderUnavailable("JWKS timed out")

    monkeypatch.setattr("accounts.tokens.JWKSCache.key", unavailable)
    settings.API_AUTH_FAILURE_RATES = {"ip": "2/min", "key_prefix": "2/min"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {minter.access_token()}")
    assert {client.get("/api/admin/stats").status_code for _ in range(5)} == {401}


def test_the_counts_are_shared_through_the_database_cache(settings):
    """Every Lambda instance must see the same counts: the throttle cache is a database table."""
    from django.core.cache import caches

    assert settings.CACHES[settings.API_AUTH_FAILURE_CACHE]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    caches[settings.API_AUTH_FAILURE_CACHE].set("probe", 1)
    assert caches[settings.API_AUTH_FAILURE_CACHE].get("probe") == 1
