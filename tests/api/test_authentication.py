"""Bearer access tokens (Cognito-like, from the real local provider and minted) and API keys at the admin API."""

import time

import pytest
from rest_framework.test import APIClient

from accounts.models import Identity
from audit.models import AuditAction, AuditEntry
from devtools import oidc_provider as local_provider
from devtools.oidc_provider import provider_users
from tests import factories

from .conftest import assert_envelope

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.oidc
def test_an_access_token_from_the_provider_writes_as_its_person(sso_settings, oidc_tokens):
    factories.band(key="metallica", name="Metallica")
    tokens = oidc_tokens("editor")
    client = bearer(tokens["access_token"])
    response = client.put("/api/admin/bands/metallica", {"name": "Metallica (edited)"}, format="json")
    assert response.status_code == 200, response.json()
    sub = provider_users()["editor"]["sub"]
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, actor_sub=sub).latest("id")
    assert entry.source == "api" and entry.actor == Identity.objects.get(sub=sub).user
    assert_envelope(client.delete("/api/admin/bands/metallica"), 403, "FORBIDDEN")  # editors do not delete


@pytest.mark.oidc
def test_the_local_token_command_gives_a_tester_a_working_bearer_token(sso_settings, oidc_provider, capsys):
    assert local_provider.main(["--port", str(oidc_provider.port), "token", "viewer"]) == 0
    token = capsys.readouterr().out.strip()
    assert bearer(token).get("/api/admin/stats").status_code == 200
    first_call = AuditEntry.objects.get(action=AuditAction.UPDATE, actor_sub=provider_users()["viewer"]["sub"])
    assert first_call.source == "api" and first_call.detail["created"] and first_call.changes["groups"][1] == ["AdminViewer"]
    assert local_provider.main(["--port", "9", "token", "viewer"]) == 1  # nothing listens: a clear message
    assert "is `make run` running?" in capsys.readouterr().err


@pytest.mark.oidc
def test_an_id_token_is_not_an_access_token(sso_settings, oidc_tokens):
    tokens = oidc_tokens("full")
    assert_envelope(bearer(tokens["id_token"]).get("/api/admin/stats"), 401, "UNAUTHORIZED")
    assert bearer(tokens["access_token"]).get("/api/admin/stats").status_code == 200


def test_minted_access_tokens(minter):
    assert bearer(minter.access_token(groups=["AdminViewer"])).get("/api/admin/stats").status_code == 200
    for token in (
        minter.access_token(key=minter.forger),
        minter.access_token(exp=int(time.time()) - 600),
        minter.access_token(iss="https://evil.example"),
        minter.access_token(client_id="other-client"),
        minter.unsigned(minter.claims(client_id="test-client-id", token_use="access")),
        minter.id_token(),
    ):
        response = bearer(token).get("/api/admin/stats")
        assert_envelope(response, 401, "UNAUTHORIZED")
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_admin_groups_is_403(minter):
    assert_envelope(bearer(minter.access_token(groups=[])).get("/api/admin/stats"), 403, "FORBIDDEN")


def test_group_change_in_the_token_takes_effect_at_once(minter):
    factories.band(key="metallica")
    editor = bearer(minter.access_token(groups=["AdminEditor"]))
    assert editor.put("/api/admin/bands/metallica", {"name": "M"}, format="json").status_code == 200
    viewer = bearer(minter.access_token(groups=["AdminViewer"]))
    assert_envelope(viewer.put("/api/admin/bands/metallica", {"name": "M2"}, format="json"), 403, "FORBIDDEN")
    assert set(Identity.objects.get(sub="sub-123").user.groups.values_list("name", flat=True)) == {"AdminViewer"}


def test_api_keys_are_stored_hashed_and_shown_once(db, capsys):
    from django.core.management import call_command

    from accounts.models import ApiKey

    call_command("create_api_key", "ci-importer", "--group", "AdminEditor")
    raw = capsys.readouterr().out.strip()
    key = ApiKey.objects.get(name="ci-importer")
    assert raw.startswith("mf_") and len(raw) > 40
    assert raw not in (key.key_hash, key.prefix) and key.key_hash != raw
    assert list(key.user.groups.values_list("name", flat=True)) == ["AdminEditor"]
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    assert client.get("/api/admin/stats").status_code == 200
    call_command("revoke_api_key", "ci-importer")
    assert_envelope(client.get("/api/admin/stats"), 401, "UNAUTHORIZED")
    events = list(AuditEntry.objects.filter(action=AuditAction.API_KEY).values_list("detail__event", "source"))
    assert events == [("revoked", "command"), ("created", "command")]
    with pytest.raises(Exception, match="exists already"):
        call_command("create_api_key", "ci-importer", "--group", "AdminEditor")
