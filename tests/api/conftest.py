"""Admin API test helpers: a client per API key group, JSON requests, and the error envelope check."""

import pytest
from rest_framework.test import APIClient

from accounts.services import api_key_create


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def key_client(db):
    """`key_client("AdminEditor")` → an APIClient sending a fresh API key of that group."""

    def make(group: str, name: str | None = None):
        key, raw = api_key_create(name=name or f"test-{group.lower()}", group_name=group)
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=raw, HTTP_USER_AGENT="pytest-automation/1.0")
        client.api_key = key
        client.raw_key = raw
        return client

    return make


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details", "timestamp", "requestId"}
    assert error["code"] == code, error
    assert error["timestamp"].endswith("Z") and error["requestId"]
    return error
