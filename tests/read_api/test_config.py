"""Configuration: read from the environment once, and timeouts that fit the Lambda timeout."""

import subprocess
import sys
from pathlib import Path

import pytest

from read_api import config

ROOT = Path(__file__).resolve().parents[2]
KEY, OLD_KEY, ORIGIN = "k" * 32, "o" * 40, "v" * 48


def test_defaults(monkeypatch):
    for name in (config.TABLE_NAME_VAR, config.ENDPOINT_VAR, config.CORS_ORIGINS_VAR, config.MAX_RETRIES_VAR):
        monkeypatch.delenv(name, raising=False)
    settings = config.from_environment()
    assert settings.table_name == "MetalFests"
    assert settings.endpoint_url is None
    assert settings.cors_allowed_origins == ()


def test_origins_are_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv(config.CORS_ORIGINS_VAR, "https://metalfests.com, http://localhost:3000/ ,")
    settings = config.from_environment()
    assert settings.cors_allowed_origins == ("https://metalfests.com", "http://localhost:3000")
    assert settings.allows_origin("http://localhost:3000")
    assert not settings.allows_origin("https://evil.example")


def test_worst_case_dynamodb_call_fits_the_lambda_timeout():
    settings = config.Settings()
    # 3 attempts × (0.5 s connect + 1 s read) + 1 s + 2 s backoff = 7.5 s
    assert settings.worst_case_dynamodb_seconds == 7.5
    assert settings.worst_case_dynamodb_seconds < config.LAMBDA_TIMEOUT_SECONDS - 1


def test_pynamodb_defaults_would_not_fit():
    pynamodb_defaults = config.Settings(connect_timeout_seconds=15, read_timeout_seconds=30, max_retry_attempts=3)
    assert pynamodb_defaults.worst_case_dynamodb_seconds > 29


def _clear_secrets(monkeypatch):
    for name in (config.CURSOR_KEYS_VAR, config.ORIGIN_SECRETS_VAR, config.ENVIRONMENT_VAR):
        monkeypatch.delenv(name, raising=False)


def test_locally_cursors_use_a_development_key_and_no_origin_check(monkeypatch):
    _clear_secrets(monkeypatch)
    settings = config.from_environment()
    assert settings.environment == "local"
    assert settings.cursor_keys == (config.DEVELOPMENT_CURSOR_KEY.encode(),)
    assert settings.origin_secrets == ()


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_a_deployed_function_requires_both_secrets(monkeypatch, environment):
    _clear_secrets(monkeypatch)
    monkeypatch.setenv(config.ENVIRONMENT_VAR, environment)
    with pytest.raises(config.ConfigurationError, match=config.CURSOR_KEYS_VAR):
        config.from_environment()
    monkeypatch.setenv(config.CURSOR_KEYS_VAR, KEY)
    with pytest.raises(config.ConfigurationError, match=config.ORIGIN_SECRETS_VAR):
        config.from_environment()
    monkeypatch.setenv(config.ORIGIN_SECRETS_VAR, "short")
    with pytest.raises(config.ConfigurationError, match="at least 32"):
        config.from_environment()
    monkeypatch.setenv(config.ORIGIN_SECRETS_VAR, ORIGIN)
    monkeypatch.setenv(config.CURSOR_KEYS_VAR, f" {KEY} , {OLD_KEY},{KEY}")
    settings = config.from_environment()
    assert settings.cursor_keys == (KEY.encode(), OLD_KEY.encode())  # first signs; duplicates dropped
    assert settings.origin_secrets == (ORIGIN.encode(),)
    assert KEY not in repr(settings) and ORIGIN not in repr(settings)


def test_a_deployed_handler_without_secrets_refuses_to_start():
    """Lambda reports the import error and CodeDeploy's alarms roll the version back: never a silent default."""
    env = {"PATH": "/usr/bin:/bin", config.ENVIRONMENT_VAR: "production"}
    result = subprocess.run([sys.executable, "-c", "import read_api.handlers.bands"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "ConfigurationError" in result.stderr
    env.update({config.CURSOR_KEYS_VAR: KEY, config.ORIGIN_SECRETS_VAR: ORIGIN})
    result = subprocess.run([sys.executable, "-c", "import read_api.handlers.bands"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
