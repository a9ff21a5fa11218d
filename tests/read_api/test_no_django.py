"""Every handler module imports, in a fresh interpreter, without loading any Django (or catalog/publishing) module."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from read_api import handlers

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(handlers.MODULES.values()) + ["read_api.local", "read_api.items", "read_api.cachetags"]


@pytest.mark.parametrize("module", MODULES)
def test_handler_imports_no_django(module):
    script = (
        f"import importlib, json, sys; m = importlib.import_module({module!r});\n"
        "assert m is not None\n"
        "print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in ('django', 'rest_framework', 'catalog', 'publishing', 'metalfests'))))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "metalfests.settings.test"})
    assert json.loads(out.stdout) == []


def test_the_check_would_see_django():
    out = subprocess.run([sys.executable, "-c", "import django.conf, sys; print('django' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
