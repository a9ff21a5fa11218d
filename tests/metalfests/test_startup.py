"""Start-up: commands run the checks they need, and loading the URL configuration imports no heavy view module."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks.registry import registry
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[2]
OURS = ("accounts", "audit", "catalog", "publishing")


def _our_commands():
    return sorted((name, app) for name, app in get_commands().items() if app in OURS)


@pytest.mark.parametrize(("name", "app"), _our_commands())
def test_our_commands_skip_the_url_checks(name, app):
    command = load_command_class(app, name)
    tags = command.requires_system_checks
    assert tags != "__all__" and "urls" not in tags
    names = {check.__name__ for check in registry.get_checks() if set(check.tags) & set(tags)}
    assert "check_url_config" not in names and "check_models_permissions" in names


def test_loading_the_url_configuration_imports_no_heavy_view_module():
    """drf-spectacular's views and publishing's projector/writer load on first use, not at every start."""
    code = (
        "import django, sys; django.setup(); import metalfests.urls;"
        "from django.urls import get_resolver; get_resolver().url_patterns;"
        "heavy = [m for m in ('drf_spectacular.views', 'publishing.services', 'publishing.writer') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "metalfests.settings.test"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]

