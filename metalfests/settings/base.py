"""Settings shared by every environment. Values come from the environment."""

from pathlib import Path

import dj_database_url

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("METALFESTS_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "insecure-local-development-key-do-not-use-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# An edition's form posts 6 fields per lineup row: Django's default of 1,000 refused lineups past ~160 bands.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 10_000)

INSTALLED_APPS = [
    "metalfests.apps.MetalFestsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static files, not a CDN
    "django_countries",
    "simple_history",
    "mozilla_django_oidc",
    "audit",
    "accounts",
    "catalog",
    "releases",
    "publishing",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "audit.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "metalfests.urls"
WSGI_APPLICATION = "metalfests.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "metalfests" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing at once (admin + worker + import).
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Take the write lock when a transaction begins: SQLite has no row locks, so this is what makes the
    # workflow's select_for_update() serialise two writers (a deferred transaction would instead read a
    # stale version and fail with "database is locked" when it tries to write).
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = env_str("STATIC_URL", "/static/")
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = VAR_DIR / "media"

# Uploaded images: the local file system by default, S3 when a bucket is named.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": AWS_STORAGE_BUCKET_NAME, "file_overwrite": False},
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- The public read tier and publishing -------------------------------------
DYNAMODB_TABLE_NAME = env_str("DYNAMODB_TABLE_NAME", "MetalFests")
AWS_ENDPOINT_URL_DYNAMODB = env_str("AWS_ENDPOINT_URL_DYNAMODB", "")
AWS_REGION = env_str("AWS_REGION", env_str("AWS_DEFAULT_REGION", "eu-west-1"))
# Empty: invalidations are recorded in the database, not sent to CloudFront.
CLOUDFRONT_DISTRIBUTION_ID = env_str("CLOUDFRONT_DISTRIBUTION_ID", "")
# Drain the publish outbox right after each commit (local runs); production uses the worker.
PUBLISH_ON_COMMIT = env_bool("PUBLISH_ON_COMMIT", False)
# Base URL of the public API, for links shown in the admin.
PUBLIC_API_BASE_URL = env_str("PUBLIC_API_BASE_URL", "http://127.0.0.1:8001")

# --- Catalog -------------------------------------------------------------------
DEFAULT_CURRENCY = env_str("DEFAULT_CURRENCY", "EUR")
# Country names in English as CLDR gives them, plus the UK's home nations (GB-SCT, …): catalog/countries.py
from catalog.countries import COUNTRIES_OVERRIDE as _COUNTRY_NAMES  # noqa: E402

COUNTRIES_OVERRIDE = _COUNTRY_NAMES
# --- Notifications (notifications/): Django's e-mail framework; console locally, Amazon SES in production --
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Metal Fests <no-reply@localhost>")
# Links in e-mails point here (the admin's own address).
ADMIN_BASE_URL = env_str("ADMIN_BASE_URL", "http://127.0.0.1:8000")
# People on duty besides those who ticked "on duty" on their profile (a shared on-call address, say).
PUBLISHING_ALERT_EMAILS = env_list("PUBLISHING_ALERT_EMAILS", [])
# A publishing task still failed after this many minutes is reported again, as stuck.
PUBLISHING_ALERT_AFTER_MINUTES = env_int("PUBLISHING_ALERT_AFTER_MINUTES", 30)
# Two pairs of eyes: who submitted or last edited a record may not approve it (on in production).
REVIEW_FOUR_EYES = env_bool("REVIEW_FOUR_EYES", False)

# --- Django REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Metal Fests admin API",
    "DESCRIPTION": "Writes to the Metal Fests catalog. Everything goes through review before it is public.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Sessions: at most 12 hours, and 30 minutes idle (see accounts.middleware) --
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "admin:login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "metalfests.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "botocore": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}

# Uploaded files are served from here in public answers when the storage gives a relative URL.
PUBLIC_MEDIA_BASE_URL = env_str("PUBLIC_MEDIA_BASE_URL", "http://127.0.0.1:8000")

# =====================================================================================
# Single sign-on, sessions, the admin API and the audit trail (accounts/, audit/, catalog/api/)
# =====================================================================================
# The admin is an OpenID Connect client (mozilla-django-oidc) of a Cognito user pool that
# federates IAM Identity Center. Every endpoint and credential comes from the environment;
# `make run` and the tests point these at the local provider (devtools/oidc/).
import re  # noqa: E402

from .env import env_float, env_map  # noqa: E402

OIDC_ENABLED = env_bool("OIDC_ENABLED", bool(env_str("OIDC_OP_ISSUER")))
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER", "")  # e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT", "")  # https://<domain>/oauth2/authorize
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT", "")  # https://<domain>/oauth2/token
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT", "")  # unused: claims come from the verified ID token
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT", "")  # <issuer>/.well-known/jwks.json
OIDC_OP_LOGOUT_ENDPOINT = env_str("OIDC_OP_LOGOUT_ENDPOINT", "")  # https://<domain>/logout (Cognito's, non-standard)
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET", "")
# Extra app client ids whose access tokens the admin API accepts (automation clients).
OIDC_API_CLIENT_IDS = env_list("OIDC_API_CLIENT_IDS", [])
OIDC_RP_SIGN_ALGO = "RS256"  # the library defaults to HS256; Cognito signs with RS256 (JWKS)
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email profile")
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_TOKEN_USE_BASIC_AUTH = env_bool("OIDC_TOKEN_USE_BASIC_AUTH", True)  # client_secret_basic at /oauth2/token
# (connect, read) seconds for every call to the provider: token endpoint, JWKS.
OIDC_TIMEOUT = (env_float("OIDC_CONNECT_TIMEOUT", 3.05), env_float("OIDC_READ_TIMEOUT", 5.0))
OIDC_JWKS_CACHE_SECONDS = env_int("OIDC_JWKS_CACHE_SECONDS", 600)
OIDC_LEEWAY_SECONDS = env_int("OIDC_LEEWAY_SECONDS", 30)
OIDC_STORE_ACCESS_TOKEN = False
OIDC_STORE_ID_TOKEN = False
OIDC_CREATE_USER = True
# SessionRefresh: re-check the person with the provider (prompt=none) this often; groups re-sync then.
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = env_int("OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS", 15 * 60)
OIDC_EXEMPT_URLS = ["accounts:refused", "admin:logout", "admin:login", re.compile(r"^/api/")]
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
# Group claims: Cognito's groups claim, the names of the three admin groups there, and for Identity
# Center group IDs passed through a custom attribute, the claim and an ID → admin group map.
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "cognito:groups")
OIDC_GROUP_NAMES = {
    "AdminFull": env_str("OIDC_GROUP_FULL", "AdminFull"),
    "AdminEditor": env_str("OIDC_GROUP_EDITOR", "AdminEditor"),
    "AdminViewer": env_str("OIDC_GROUP_VIEWER", "AdminViewer"),
}
OIDC_GROUP_ID_CLAIM = env_str("OIDC_GROUP_ID_CLAIM", "custom:groups")
OIDC_GROUP_ID_MAP = env_map("OIDC_GROUP_ID_MAP", {})  # "<identity center group id>=AdminEditor,..."

LOGIN_REDIRECT_URL = "/admin/"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/refused/"
LOGOUT_REDIRECT_URL = "/admin/login/"
# Where Cognito sends the browser after its /logout (must be a registered sign-out URL); empty: /admin/login/.
OIDC_LOGOUT_REDIRECT_URL = env_str("OIDC_LOGOUT_REDIRECT_URL", "")
OIDC_OP_LOGOUT_URL_METHOD = "accounts.views.cognito_logout_url"  # the library's /oidc/logout/ ends Cognito's session too

# Password sign-in: on locally and in tests; production turns it off. BREAK_GLASS_LOGIN lets a local
# superuser (one with no SSO identity) sign in with a password anyway; every use is audited.
ADMIN_PASSWORD_LOGIN = env_bool("ADMIN_PASSWORD_LOGIN", True)
BREAK_GLASS_LOGIN = env_bool("BREAK_GLASS_LOGIN", False)

AUTHENTICATION_BACKENDS = [
    "accounts.backends.PasswordLockoutBackend",  # django-axes: refuses a locked-out password sign-in
    "accounts.backends.LocalPasswordBackend",  # first to sign in: force_login() in tests means a plain session
    "accounts.backends.CognitoOIDCBackend",
]
# Absolute session limit and idle limit (accounts.middleware.SessionLimitsMiddleware), then the
# provider re-check (accounts.middleware.OIDCSessionRefresh), before the audit context is set.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "accounts.middleware.SessionLimitsMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("accounts.middleware.SessionLimitsMiddleware") + 1, "accounts.middleware.OIDCSessionRefresh"
)

REST_FRAMEWORK.update(
    {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "catalog.api.authentication.CognitoAccessTokenAuthentication",
            "catalog.api.authentication.ApiKeyAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["catalog.api.permissions.AdminGroupPermission"],
        "DEFAULT_PARSER_CLASSES": [
            "catalog.api.parsers.JSONParser",  # DRF's, with deep nesting a 400 instead of a 500
            "rest_framework.parsers.FormParser",
            "rest_framework.parsers.MultiPartParser",
        ],
        "EXCEPTION_HANDLER": "catalog.api.errors.exception_handler",
        "UNAUTHENTICATED_USER": None,
    }
)
SPECTACULAR_SETTINGS.update(
    {
        "SCHEMA_PATH_PREFIX": r"/api/admin",
        "COMPONENT_SPLIT_REQUEST": True,
    }
)

# --- Slowing down guessing (README "Security") ---------------------------------
# Admin API: failed authentications per client address and per API-key prefix; over the rate,
# every request from there is 429 with Retry-After (catalog/api/throttling.py). "N/s|m|h|d".
API_AUTH_FAILURE_RATES = {
    "ip": env_str("API_AUTH_FAILURES_PER_IP", "20/min"),
    "key_prefix": env_str("API_AUTH_FAILURES_PER_KEY_PREFIX", "10/min"),
}
# The counts must be shared by every Lambda instance: a table in the catalog database, created by
# `migrate` (accounts/apps.py runs createcachetable after it) and by the test runner.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "metalfests_cache"},
}
API_AUTH_FAILURE_CACHE = "throttle"
# Password sign-in (local logins, break-glass): django-axes locks a username, and a client address,
# after LOGIN_FAILURE_LIMIT failed passwords, for LOGIN_LOCKOUT_MINUTES (429). Unlock early with
# `manage.py axes_reset_username <name>` or `axes_reset_ip <address>`. SSO sign-ins are not locked.
INSTALLED_APPS.append("axes")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_FAILURE_LIMIT = max(1, env_int("LOGIN_FAILURE_LIMIT", 10))
AXES_COOLOFF_TIME = __import__("datetime").timedelta(minutes=max(1, env_int("LOGIN_LOCKOUT_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one over the limit locks
AXES_CLIENT_IP_CALLABLE = "audit.context.client_ip"  # the address the audit trail records
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit trail already
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# Proxies of ours in front of Django that append the address they saw to X-Forwarded-For (0: none;
# under Zappa the API Gateway request context is used instead). See audit.context.client_ip.
TRUSTED_PROXY_COUNT = max(0, env_int("TRUSTED_PROXY_COUNT", 0))

# Audit entries are kept at least this long; `manage.py prune_audit` refuses anything shorter.
AUDIT_RETENTION_DAYS = max(90, env_int("AUDIT_RETENTION_DAYS", 365))

# --- Publishing (defaults and meaning: publishing/conf.py) -----------------------
# The distribution has a CacheTagConfig reading the read tier's Cache-Tag header: invalidate `#tag`
# items. False: invalidate paths instead (a trailing `*` where query strings vary).
CLOUDFRONT_CACHE_TAGS = env_bool("CLOUDFRONT_CACHE_TAGS", True)
# A failed publish task is retried after min(max, base * 2**(attempts-1)) seconds, with jitter.
PUBLISH_RETRY_BASE_SECONDS = env_int("PUBLISH_RETRY_BASE_SECONDS", 5)
PUBLISH_RETRY_MAX_SECONDS = env_int("PUBLISH_RETRY_MAX_SECONDS", 900)
# How long a worker holds the publishing lease without renewing it (above the worker Lambda's timeout).
PUBLISH_LEASE_SECONDS = env_int("PUBLISH_LEASE_SECONDS", 120)
# BatchWriteItem streams side by side in a republish (UnprocessedItems are retried with backoff).
PUBLISH_WRITE_STREAMS = max(1, env_int("PUBLISH_WRITE_STREAMS", 2))
PUBLISH_INVALIDATION_WILDCARD_AFTER = env_int("PUBLISH_INVALIDATION_WILDCARD_AFTER", 200)
# Every log line names the actor of the current request, API call or command (audit.logging).
LOGGING.setdefault("filters", {})["audit_context"] = {"()": "audit.logging.AuditContextFilter"}
LOGGING["handlers"]["console"].setdefault("filters", []).append("audit_context")
