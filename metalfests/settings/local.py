"""Local development: DEBUG on, SQLite and DynamoDB Local, publish right after commit."""

from .base import *  # noqa: F403
from .env import env_bool, env_list, env_str

DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
PUBLISH_ON_COMMIT = env_bool("PUBLISH_ON_COMMIT", True)
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# DynamoDB Local only (never AWS, whatever credentials the machine has): `make run` serves it on :8002, and
# the commands that publish start it there when nothing listens (publishing/table_guard.py). AWS is reached
# with metalfests.settings.production only.
AWS_ENDPOINT_URL_DYNAMODB = env_str("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8002")
DYNAMODB_LOCAL_ONLY = True

# Logs for a terminal: short human lines (LOG_FORMAT=json gives production's JSON lines). The audit trail
# is in the database (Audit entries in the admin), so its one line per record stays off the console,
# and so do PynamoDB's per-request INFO lines.
if env_str("LOG_FORMAT", "human") == "human":
    LOGGING["formatters"]["human"] = {"()": "metalfests.logging.HumanFormatter"}  # noqa: F405
    LOGGING["handlers"]["console"]["formatter"] = "human"  # noqa: F405
    LOGGING["loggers"]["metalfests.audit"] = {"level": "WARNING"}  # noqa: F405
    LOGGING["loggers"]["pynamodb"] = {"level": "WARNING"}  # noqa: F405
