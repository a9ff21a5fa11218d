"""Settings come from the environment, with safe local defaults; production refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings(module: str, code: str, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS"}}
    environment.update(DJANGO_SETTINGS_MODULE=module, **env)
    script = f"import django; django.setup(); from django.conf import settings as s; {code}"
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_local_defaults_need_no_environment():
    result = _settings(
        "metalfests.settings.local",
        "print(s.DATABASES['default']['ENGINE'], s.DYNAMODB_TABLE_NAME, repr(s.CLOUDFRONT_DISTRIBUTION_ID), s.STORAGES['default']['BACKEND'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3", "MetalFests", "''", "django.core.files.storage.FileSystemStorage"
    ]


def test_environment_overrides():
    result = _settings(
        "metalfests.settings.local",
        "print(s.DATABASES['default']['ENGINE'], s.DYNAMODB_TABLE_NAME, s.CLOUDFRONT_DISTRIBUTION_ID, s.STORAGES['default']['BACKEND'], s.AWS_REGION)",
        DATABASE_URL="postgres://u@db.example:5432/metalfests",
        DYNAMODB_TABLE_NAME="MetalFestsStaging",
        CLOUDFRONT_DISTRIBUTION_ID="E123ABC",
        AWS_STORAGE_BUCKET_NAME="metalfests-media",
        AWS_REGION="us-east-1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql", "MetalFestsStaging", "E123ABC", "storages.backends.s3.S3Storage", "us-east-1"
    ]


def test_production_names_the_missing_setting():
    result = _settings("metalfests.settings.production", "print('started')")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_malformed_boolean_is_an_error_not_a_guess():
    result = _settings("metalfests.settings.local", "print(s.DEBUG)", DEBUG="maybe")
    assert result.returncode != 0 and "DEBUG='maybe' is not a boolean" in result.stderr
