"""The read tier's configuration: every environment variable it reads, read once, in one place.

`settings` is built at import. `reload()` re-reads the environment (tests and the local
adapter call it after pointing `AWS_ENDPOINT_URL_DYNAMODB` at DynamoDB Local) and rebinds
the PynamoDB models to the new values.
"""

import os
from dataclasses import dataclass, field

# Environment variable names (the only place they are spelled out).
TABLE_NAME_VAR = "DYNAMODB_TABLE_NAME"
ENDPOINT_VAR = "AWS_ENDPOINT_URL_DYNAMODB"
REGION_VAR = "AWS_REGION"
DEFAULT_REGION_VAR = "AWS_DEFAULT_REGION"
CORS_ORIGINS_VAR = "CORS_ALLOWED_ORIGINS"
CONNECT_TIMEOUT_VAR = "DYNAMODB_CONNECT_TIMEOUT_SECONDS"
READ_TIMEOUT_VAR = "DYNAMODB_READ_TIMEOUT_SECONDS"
MAX_RETRIES_VAR = "DYNAMODB_MAX_RETRY_ATTEMPTS"
RETRY_AFTER_VAR = "READ_API_RETRY_AFTER_SECONDS"
CHANGES_SETTLE_VAR = "CHANGES_SETTLE_SECONDS"  # the change feed serves entries older than this (read_api.feed)
# Observability (set by infra/template.yaml): metrics in CloudWatch embedded metric format when a
# namespace is given; TRACING=xray adds the Lambda trace id to each log line (active tracing itself is
# switched on by the function's Tracing property and costs nothing in code).
METRICS_NAMESPACE_VAR = "METRICS_NAMESPACE"
TRACING_VAR = "TRACING"
SERVICE_NAME_VAR = "OTEL_SERVICE_NAME"
ENVIRONMENT_VAR = "DEPLOYMENT_ENVIRONMENT"
LAMBDA_TRACE_ID_VAR = "_X_AMZN_TRACE_ID"
# Secrets (infra/template.yaml passes them from NoEcho parameters). Each is a comma-separated list:
# CURSOR_SIGNING_KEYS: the first key signs new cursors, every listed key verifies (rotation keeps the
# previous key listed for one cache TTL); ORIGIN_VERIFY_SECRETS: every value CloudFront may send in the
# X-Origin-Verify header (the current one and, while rotating, the previous one).
CURSOR_KEYS_VAR = "CURSOR_SIGNING_KEYS"
ORIGIN_SECRETS_VAR = "ORIGIN_VERIFY_SECRETS"
ORIGIN_HEADER = "X-Origin-Verify"

DEFAULT_TABLE_NAME = "MetalFests"
DEFAULT_REGION = "eu-west-1"

LOCAL_ENVIRONMENT = "local"
# Outside a deployment (tests, `make run`) cursors are signed with this key; a deployed function refuses
# to start without CURSOR_SIGNING_KEYS and ORIGIN_VERIFY_SECRETS (see `from_environment`).
DEVELOPMENT_CURSOR_KEY = "metalfests-local-cursor-key-not-a-secret"
MIN_SECRET_LENGTH = 32

# The read functions run with a 10 s Lambda timeout (spec: "All GET operations: 10 seconds").
LAMBDA_TIMEOUT_SECONDS = 10.0
# botocore "standard" retry mode sleeps random() * 2 ** (attempt - 1) seconds between attempts.
_STANDARD_MODE_MAX_BACKOFF = 20.0


@dataclass(frozen=True)
class Settings:
    table_name: str = DEFAULT_TABLE_NAME
    endpoint_url: str | None = None
    region: str = DEFAULT_REGION
    cors_allowed_origins: tuple[str, ...] = ()
    # PynamoDB's defaults (15 s connect, 30 s read, 3 retries) can exceed API Gateway's 29 s;
    # these keep one DynamoDB call, all retries included, well inside the 10 s Lambda timeout.
    connect_timeout_seconds: float = 0.5
    read_timeout_seconds: float = 1.0
    max_retry_attempts: int = 2
    retry_after_seconds: int = 5
    changes_settle_seconds: int = 60
    metrics_namespace: str | None = None
    tracing: str = "off"
    service_name: str = "metal-fests-public-api"
    environment: str = LOCAL_ENVIRONMENT
    # HMAC keys of cursors: [0] signs, all verify.
    cursor_keys: tuple[bytes, ...] = field(default=(DEVELOPMENT_CURSOR_KEY.encode(),), repr=False)
    # Accepted X-Origin-Verify values; empty (local only): no check.
    origin_secrets: tuple[bytes, ...] = field(default=(), repr=False)
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def worst_case_dynamodb_seconds(self) -> float:
        """Upper bound of one DynamoDB call with every retry: attempts × timeouts + backoff sleeps."""
        attempts = 1 + self.max_retry_attempts
        backoff = sum(min(2.0 ** (n - 1), _STANDARD_MODE_MAX_BACKOFF) for n in range(1, attempts))
        return attempts * (self.connect_timeout_seconds + self.read_timeout_seconds) + backoff

    def allows_origin(self, origin: str) -> bool:
        return "*" in self.cors_allowed_origins or origin in self.cors_allowed_origins


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


class ConfigurationError(RuntimeError):
    """A deployed function lacks a setting it must have: it refuses to start rather than serve insecurely."""


def _secrets(name: str) -> tuple[bytes, ...]:
    values = tuple(v.strip() for v in os.environ.get(name, "").split(",") if v.strip())
    return tuple(dict.fromkeys(v.encode() for v in values))


def _checked_secrets(name: str, environment: str) -> tuple[bytes, ...]:
    values = _secrets(name)
    if environment == LOCAL_ENVIRONMENT:
        return values
    if not values:
        raise ConfigurationError(f"{name} is required outside local development ({ENVIRONMENT_VAR}={environment})")
    if any(len(v) < MIN_SECRET_LENGTH for v in values):
        raise ConfigurationError(f"every value of {name} must be at least {MIN_SECRET_LENGTH} characters")
    return values


def from_environment() -> Settings:
    """The settings from the environment; `ConfigurationError` when a deployed function lacks its secrets."""
    origins = tuple(o.strip().rstrip("/") for o in os.environ.get(CORS_ORIGINS_VAR, "").split(",") if o.strip())
    defaults = Settings()
    environment = os.environ.get(ENVIRONMENT_VAR, "").strip() or defaults.environment
    cursor_keys = _checked_secrets(CURSOR_KEYS_VAR, environment) or defaults.cursor_keys
    origin_secrets = _checked_secrets(ORIGIN_SECRETS_VAR, environment)
    return Settings(
        table_name=os.environ.get(TABLE_NAME_VAR, "").strip() or DEFAULT_TABLE_NAME,
        endpoint_url=os.environ.get(ENDPOINT_VAR, "").strip() or None,
        region=(os.environ.get(REGION_VAR) or os.environ.get(DEFAULT_REGION_VAR) or DEFAULT_REGION).strip(),
        cors_allowed_origins=origins,
        connect_timeout_seconds=_float(CONNECT_TIMEOUT_VAR, defaults.connect_timeout_seconds),
        read_timeout_seconds=_float(READ_TIMEOUT_VAR, defaults.read_timeout_seconds),
        max_retry_attempts=_int(MAX_RETRIES_VAR, defaults.max_retry_attempts),
        retry_after_seconds=_int(RETRY_AFTER_VAR, defaults.retry_after_seconds),
        changes_settle_seconds=_int(CHANGES_SETTLE_VAR, defaults.changes_settle_seconds),
        metrics_namespace=os.environ.get(METRICS_NAMESPACE_VAR, "").strip() or None,
        tracing=(os.environ.get(TRACING_VAR, "").strip().lower() or defaults.tracing),
        service_name=os.environ.get(SERVICE_NAME_VAR, "").strip() or defaults.service_name,
        environment=environment,
        cursor_keys=cursor_keys,
        origin_secrets=origin_secrets,
    )


settings: Settings = from_environment()


def reload() -> Settings:
    """Re-read the environment and rebind the models (for tests and local tools, not the hot path)."""
    global settings
    settings = from_environment()
    from . import schema  # late: schema imports this module

    schema.bind(settings)
    return settings
