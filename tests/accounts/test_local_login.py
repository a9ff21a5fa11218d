"""Password sign-in where allowed, break-glass only by flag (audited), and the session limits."""

import time

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Identity
from audit.models import AuditAction, AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

User = get_user_model()


def sign_in(client, username, password):
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"})


def test_passwords_work_where_allowed(client):
    user = factories.user_in("AdminEditor", password="a-long-password")
    assert sign_in(client, user.username, "a-long-password")["Location"] == "/admin/"


def test_with_passwords_off_the_form_is_gone_and_posts_are_refused(client, settings):
    settings.ADMIN_PASSWORD_LOGIN = False
    settings.OIDC_ENABLED = True
    user = factories.user_in("AdminFull", password="a-long-password")
    page = client.get("/admin/login/").content.decode()
    assert "Sign in with SSO" in page and 'name="password"' not in page
    assert sign_in(client, user.username, "a-long-password").status_code == 403
    assert client.get("/admin/").status_code == 302


@pytest.fixture
def break_glass(settings):
    settings.ADMIN_PASSWORD_LOGIN = False
    settings.BREAK_GLASS_LOGIN = True
    settings.OIDC_ENABLED = True
    return settings


def test_break_glass_lets_only_the_local_superuser_in_and_is_audited(client, break_glass):
    root = User.objects.create_superuser("root", password="a-long-password")
    page = client.get("/admin/login/").content.decode()
    assert "Break-glass" in page and 'name="password"' in page
    assert sign_in(client, "root", "a-long-password")["Location"] == "/admin/"
    entry = AuditEntry.objects.get(action=AuditAction.BREAK_GLASS)
    assert entry.actor == root

    client.logout()
    editor = factories.user_in("AdminFull", password="a-long-password")
    assert sign_in(client, editor.username, "a-long-password").status_code == 200  # form again, with an error
    assert client.get("/admin/").status_code == 302


def test_break_glass_refuses_a_superuser_linked_to_sso(client, break_glass):
    root = User.objects.create_superuser("linked", password="a-long-password")
    Identity.objects.create(user=root, issuer="https://issuer.test", sub="abc")
    sign_in(client, "linked", "a-long-password")
    assert client.get("/admin/").status_code == 302


def test_idle_sessions_end(client, settings):
    client.force_login(factories.user_in("AdminViewer"))
    assert client.get("/admin/").status_code == 200
    session = client.session
    session["last_activity_at"] = time.time() - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.get("/admin/").status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT, detail__why="idle").exists()


def test_sessions_end_after_twelve_hours_however_active(client, settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600 and settings.SESSION_IDLE_TIMEOUT == 30 * 60
    client.force_login(factories.user_in("AdminViewer"))
    client.get("/admin/")
    session = client.session
    session["auth_started_at"] = time.time() - 12 * 3600 - 5
    session["last_activity_at"] = time.time()
    session.save()
    assert client.get("/admin/").status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT, detail__why="max_age").exists()
