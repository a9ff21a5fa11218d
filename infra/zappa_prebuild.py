"""Zappa's prebuild step for the admin: collect static files so whitenoise can serve them from the package.

Zappa calls `collectstatic()` (`prebuild_script` in infra/zappa_settings.json)
before it zips the project. It runs `manage.py collectstatic` with the
production settings, so the hashed names and the manifest are the ones
production's `CompressedManifestStaticFilesStorage` looks up. Collecting
static files needs none of production's secrets: placeholders stand in for
them in this one subprocess and are never packaged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Values production settings require at import; collectstatic uses none of them.
PLACEHOLDERS = {
    "SECRET_KEY": "collectstatic-only-not-a-secret",
    "ALLOWED_HOSTS": "localhost",
    "DATABASE_URL": "sqlite:///:memory:",
}


def collectstatic_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    environment = dict(os.environ if base is None else base)
    environment["DJANGO_SETTINGS_MODULE"] = "metalfests.settings.production"
    for name, value in PLACEHOLDERS.items():
        environment[name] = value
    return environment


def collectstatic() -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--clear", "--verbosity", "1"],
        cwd=ROOT,
        env=collectstatic_environment(),
        check=True,
    )
