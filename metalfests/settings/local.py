"""Local development: DEBUG on, SQLite and DynamoDB Local, publish right after commit."""

from .base import *  # noqa: F403
from .env import env_bool, env_list

DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
PUBLISH_ON_COMMIT = env_bool("PUBLISH_ON_COMMIT", True)
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
