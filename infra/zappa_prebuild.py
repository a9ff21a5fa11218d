"""Zappa's prebuild step for the admin: collect static files so whitenoise can serve them from the package.

Zappa calls `collectstatic()` (`prebuild_script` in infra/zappa_settings.json)
before it zips the project. It runs `manage.py collectstatic` with the base
settings, which production extends without touching static files: the same
apps, the same `STATIC_ROOT` and the same `CompressedManifestStaticFilesStorage`
(the local settings swap in a plain storage, so they would write no manifest).
The base settings need none of production's secrets, which the machine that
packages the admin does not have. tests/infra/test_zappa_settings.py checks
that base and production agree on everything collectstatic depends on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "metalfests.settings.base"


def collectstatic_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    environment = dict(os.environ if base is None else base)
    environment["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    return environment


def collectstatic() -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--clear", "--verbosity", "1"],
        cwd=ROOT,
        env=collectstatic_environment(),
        check=True,
    )
