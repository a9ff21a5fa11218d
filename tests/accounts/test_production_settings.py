"""Production settings: `manage.py check --deploy` is clean, and password sign-in is off."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "metalfests.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "admin.metalfests.example",
    "DATABASE_URL": "postgres://metalfests:secret@db.example:5432/metalfests",
    "OIDC_OP_ISSUER": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://auth.metalfests.example/oauth2/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://auth.metalfests.example/oauth2/token",
    "OIDC_OP_JWKS_ENDPOINT": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json",
    "OIDC_OP_LOGOUT_ENDPOINT": "https://auth.metalfests.example/logout",
    "OIDC_RP_CLIENT_ID": "example-client-id",
    "OIDC_RP_CLIENT_SECRET": "example-client-secret",
}


def _run(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "DJANGO_", "ADMIN_", "BREAK_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **PRODUCTION_ENV, **env},
        capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_is_clean():
    result = _run("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr.upper().replace("SILENCED", "")


def test_production_turns_password_login_off_even_if_asked():
    code = "from django.conf import settings as s; print(s.ADMIN_PASSWORD_LOGIN, s.BREAK_GLASS_LOGIN, s.OIDC_ENABLED)"
    result = _run("shell", "--verbosity", "0", "-c", code, ADMIN_PASSWORD_LOGIN="true")
    assert result.stdout.split() == ["False", "False", "True"], result.stderr


def test_production_refuses_to_start_without_the_provider():
    result = _run("check", OIDC_OP_TOKEN_ENDPOINT="")
    assert result.returncode != 0 and "OIDC_OP_TOKEN_ENDPOINT" in result.stderr
