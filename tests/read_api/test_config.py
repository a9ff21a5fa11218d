"""Configuration: read from the environment once, and timeouts that fit the Lambda timeout."""

from read_api import config


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
