"""Single sign-on into the admin through the real local OpenID provider (no browser: the test client)."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import Identity
from audit.models import AuditAction, AuditEntry
from devtools.oidc_provider import CLIENT_ID, provider_users
from devtools.ports import free_port
from tests.fixtures.oidc import ADMIN_HOST

pytestmark = [pytest.mark.oidc, pytest.mark.django_db]

User = get_user_model()


def groups_of(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


@pytest.fixture
def restore_provider_groups(oidc_provider):
    changed = []

    def set_groups(login, groups):
        changed.append(login)
        oidc_provider.set_groups(login, groups)

    yield set_groups
    for login in changed:
        oidc_provider.set_groups(login, provider_users()[login]["groups"])


def test_authorization_request_uses_pkce_and_nonce(client, sso_settings):
    response = client.get("/oidc/authenticate/?next=/admin/", **ADMIN_HOST)
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["nonce"][0] and query["state"][0]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/oidc/callback/"]


def test_editor_signs_in_and_is_matched_by_sub(client, sso_login):
    response = sso_login(client, "editor")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    sub = provider_users()["editor"]["sub"]
    identity = Identity.objects.get(sub=sub)
    user = identity.user
    assert groups_of(user) == {"AdminEditor"}
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert client.get("/admin/", **ADMIN_HOST).status_code == 200
    login = AuditEntry.objects.filter(action=AuditAction.LOGIN).get()
    assert (login.actor, login.actor_sub, login.detail["backend"]) == (user, sub, "sso")
    assert client.session["oidc_sub"] == sub


def test_an_existing_account_with_the_same_email_is_not_taken_over(client, sso_login):
    local = User.objects.create_user("eddie-local", email=provider_users()["editor"]["email"], password="x" * 20)
    sso_login(client, "editor")
    identity = Identity.objects.get(sub=provider_users()["editor"]["sub"])
    assert identity.user != local
    assert not groups_of(local)


def test_a_person_in_no_admin_group_is_refused_with_a_reason(client, sso_login):
    response = sso_login(client, "outsider")
    assert response["Location"] == "/accounts/refused/"
    page = client.get("/accounts/refused/", **ADMIN_HOST)
    assert page.status_code == 403
    assert "none of the admin groups" in page.content.decode()
    assert not User.objects.filter(identity__sub=provider_users()["outsider"]["sub"]).exists()
    refused = AuditEntry.objects.get(action=AuditAction.LOGIN_REFUSED)
    assert refused.actor_sub == provider_users()["outsider"]["sub"] and refused.detail["why"] == "no admin group"
    assert client.get("/admin/", **ADMIN_HOST).status_code == 302  # not signed in


def test_groups_are_resynced_at_every_sign_in(client, sso_login, restore_provider_groups):
    sso_login(client, "editor")
    user = Identity.objects.get(sub=provider_users()["editor"]["sub"]).user
    assert groups_of(user) == {"AdminEditor"}

    restore_provider_groups("editor", ["AdminViewer"])
    sso_login(client, "editor")
    user.refresh_from_db()
    assert groups_of(user) == {"AdminViewer"} and user.is_staff

    restore_provider_groups("editor", [])
    response = sso_login(client, "editor")
    assert response["Location"] == "/accounts/refused/"
    user.refresh_from_db()
    assert groups_of(user) == set() and not user.is_staff
    assert client.get("/admin/", **ADMIN_HOST).status_code == 302


def test_non_admin_groups_are_left_alone(client, sso_login):
    sso_login(client, "editor")
    user = Identity.objects.get(sub=provider_users()["editor"]["sub"]).user
    other = Group.objects.create(name="Newsletter")
    user.groups.add(other)
    sso_login(client, "editor")
    assert groups_of(user) == {"AdminEditor", "Newsletter"}


def test_identity_center_group_ids_map_through_the_custom_attribute(client, sso_login, settings):
    group_id = provider_users()["idc-editor"]["idcGroups"][0]
    response = sso_login(client, "idc-editor")
    assert response["Location"] == "/accounts/refused/"  # no mapping yet

    settings.OIDC_GROUP_ID_MAP = {group_id: "AdminEditor"}
    response = sso_login(client, "idc-editor")
    assert response["Location"] == "/admin/"
    assert groups_of(Identity.objects.get(sub=provider_users()["idc-editor"]["sub"]).user) == {"AdminEditor"}


def test_group_names_are_configurable(client, sso_login, settings):
    settings.OIDC_GROUP_NAMES = {"AdminFull": "metal-admins", "AdminEditor": "metal-editors", "AdminViewer": "AdminEditor"}
    sso_login(client, "editor")  # the provider says AdminEditor, which now names the viewers
    assert groups_of(Identity.objects.get(sub=provider_users()["editor"]["sub"]).user) == {"AdminViewer"}


def test_the_token_endpoint_is_called_with_http_basic_auth(client, sso_login, settings):
    # The provider registers the client as client_secret_basic: posting the secret is refused.
    settings.OIDC_TOKEN_USE_BASIC_AUTH = False
    response = sso_login(client, "editor")
    assert response["Location"] == "/accounts/refused/"
    assert not Identity.objects.exists()


def test_an_unreachable_provider_is_refused_politely(client, sso_login, settings):
    settings.OIDC_OP_TOKEN_ENDPOINT = f"http://127.0.0.1:{free_port()}/token"
    response = sso_login(client, "editor")
    assert response["Location"] == "/accounts/refused/"
    assert "did not answer" in client.get("/accounts/refused/", **ADMIN_HOST).content.decode()
    assert isinstance(settings.OIDC_TIMEOUT, tuple) and all(t > 0 for t in settings.OIDC_TIMEOUT)


def test_logout_ends_the_django_and_the_provider_session(client, sso_login):
    sso_login(client, "viewer")
    response = client.post("/admin/logout/", **ADMIN_HOST)
    target = urlparse(response["Location"])
    assert target.path == "/logout"
    assert parse_qs(target.query) == {"client_id": [CLIENT_ID], "logout_uri": ["http://127.0.0.1:8000/admin/login/"]}
    assert client.get("/admin/", **ADMIN_HOST).status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT, actor_sub=provider_users()["viewer"]["sub"]).exists()


def test_session_refresh_rechecks_with_the_provider_silently(client, sso_login):
    sso_login(client, "viewer")
    session = client.session
    session["oidc_id_token_expiration"] = 0
    session.save()
    response = client.get("/admin/", **ADMIN_HOST)
    assert response.status_code == 302
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["prompt"] == ["none"] and query["code_challenge_method"] == ["S256"]


def test_the_login_page_offers_sso(client, sso_settings):
    page = client.get("/admin/login/", **ADMIN_HOST).content.decode()
    assert "Sign in with SSO" in page and 'name="password"' in page  # local: passwords allowed too


def test_silent_refresh_resyncs_groups_without_a_password(client, sso_login, oidc_provider, restore_provider_groups):
    import requests

    from tests.fixtures.oidc import browse_provider

    at_provider = requests.Session()
    sso_login(client, "editor", provider_session=at_provider)
    user = Identity.objects.get(sub=provider_users()["editor"]["sub"]).user
    restore_provider_groups("editor", ["AdminViewer"])
    session = client.session
    session["oidc_id_token_expiration"] = 0
    session.save()
    refresh = client.get("/admin/catalog/", **ADMIN_HOST)
    # The provider still knows the editor: it answers prompt=none at once, with no password form.
    back = browse_provider(oidc_provider, refresh["Location"], "editor", password="not-asked", session=at_provider)
    parsed = urlparse(back)
    done = client.get(f"{parsed.path}?{parsed.query}", **ADMIN_HOST)
    assert done["Location"] == "/admin/catalog/"
    assert groups_of(user) == {"AdminViewer"}
    assert client.session["oidc_id_token_expiration"] > 0
