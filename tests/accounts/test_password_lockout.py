"""Password sign-in locks after repeated failures (django-axes; issue 10, item 7). SSO is not locked by it."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from audit.models import AuditAction, AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

User = get_user_model()


def sign_in(client, username, password, ip="198.51.100.20"):
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=ip)


@pytest.fixture
def break_glass(settings):
    settings.ADMIN_PASSWORD_LOGIN = False
    settings.BREAK_GLASS_LOGIN = True
    settings.OIDC_ENABLED = True
    return settings


def test_40_wrong_passwords_lock_the_break_glass_login(client, break_glass):
    break_glass.AXES_FAILURE_LIMIT = 10
    User.objects.create_superuser("root", password="the-real-password")
    statuses = [sign_in(client, "root", f"guess-{i}", ip=f"192.0.2.{i + 1}").status_code for i in range(40)]
    assert statuses[:9] == [200] * 9  # the form again, with an error
    assert set(statuses[10:]) == {429}
    # Locked by username: the right password, from yet another address, is refused too.
    locked = sign_in(client, "root", "the-real-password", ip="203.0.113.77")
    assert locked.status_code == 429 and "Sign-in locked" in locked.content.decode()
    assert client.get("/admin/").status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_REFUSED, detail__why__startswith="locked out").exists()
    assert not AuditEntry.objects.filter(action=AuditAction.BREAK_GLASS).exists()
    # An administrator unlocks it early.
    call_command("axes_reset_username", "root", verbosity=0)
    assert sign_in(client, "root", "the-real-password")["Location"] == "/admin/"


def test_many_usernames_from_one_address_lock_that_address(client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    user = factories.user_in("AdminEditor", password="a-long-password")
    for i in range(5):
        sign_in(client, f"nobody-{i}", "whatever", ip="198.51.100.30")
    assert sign_in(client, user.username, "a-long-password", ip="198.51.100.30").status_code == 429
    assert sign_in(client, user.username, "a-long-password", ip="198.51.100.31")["Location"] == "/admin/"


def test_a_success_before_the_limit_resets_the_count(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = factories.user_in("AdminEditor", password="a-long-password")
    for _ in range(3):
        for _ in range(2):
            assert sign_in(client, user.username, "wrong").status_code == 200
        assert sign_in(client, user.username, "a-long-password")["Location"] == "/admin/"
        client.logout()


def test_the_lockout_is_on_by_default():
    from django.conf import settings

    assert "axes" in settings.INSTALLED_APPS and "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE
    assert settings.AUTHENTICATION_BACKENDS[0] == "accounts.backends.PasswordLockoutBackend"
    assert 1 <= settings.AXES_FAILURE_LIMIT <= 20 and settings.AXES_COOLOFF_TIME.total_seconds() >= 60


@pytest.mark.oidc
def test_single_sign_on_is_not_locked_by_password_failures(client, sso_login, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for i in range(5):
        sign_in(client, f"nobody-{i}", "whatever", ip="127.0.0.1")
    assert sign_in(client, "nobody-9", "whatever", ip="127.0.0.1").status_code == 429
    response = sso_login(client, "editor")
    assert response.status_code == 302 and response["Location"] == "/admin/"
