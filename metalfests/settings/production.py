"""Production (Zappa on AWS Lambda): HTTPS only, secrets from the environment, SSO only."""

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, env_required, env_str

DEBUG = False
SECRET_KEY = env_required("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or [env_required("ALLOWED_HOSTS")]
env_required("DATABASE_URL")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
PUBLISH_ON_COMMIT = False
REVIEW_FOUR_EYES = env_bool("REVIEW_FOUR_EYES", True)  # two pairs of eyes on every approval

# === Notifications: Amazon SES (SES v2 API: IAM action ses:SendEmail) through django-ses ===
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django_ses.SESBackend")
USE_SES_V2 = True
AWS_SES_REGION_NAME = env_str("AWS_SES_REGION_NAME", AWS_REGION)  # noqa: F405
AWS_SES_REGION_ENDPOINT = f"email.{AWS_SES_REGION_NAME}.amazonaws.com"
# The sender must be an SES-verified identity (the template's NotificationSender parameter).
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"Metal Fests <no-reply@{ALLOWED_HOSTS[0]}>")
ADMIN_BASE_URL = env_str("ADMIN_BASE_URL", f"https://{ALLOWED_HOSTS[0]}")

# === Single sign-on (accounts/): SSO is the way in; passwords only for an audited break-glass superuser ===
OIDC_ENABLED = True
for _name in (
    "OIDC_OP_ISSUER", "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT",
    "OIDC_OP_LOGOUT_ENDPOINT", "OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET",
):
    globals()[_name] = env_required(_name)
ADMIN_PASSWORD_LOGIN = False  # not from the environment: production never offers ordinary password sign-in
BREAK_GLASS_LOGIN = env_bool("BREAK_GLASS_LOGIN", False)
OIDC_REDIRECT_REQUIRE_HTTPS = True
SESSION_COOKIE_NAME = "__Secure-sessionid"
CSRF_COOKIE_NAME = "__Secure-csrftoken"
