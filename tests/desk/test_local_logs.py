"""Local runs log short human lines, without the audit trail's line per record or PynamoDB's INFO lines."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging
from django.conf import settings
logging.getLogger("metalfests.audit").info("audit", extra={"audit_action": "update"})
logging.getLogger("pynamodb.connection.base").info("calling GetItem")
logging.getLogger("publishing.worker").info("drained 3 tasks")
"""


def _run(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LOG_"))}
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", SCRIPT], cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "metalfests.settings.local", **env},
        capture_output=True, text=True, timeout=120,
    )


def test_local_logs_are_short_and_human():
    result = _run()
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(not line.startswith("{") for line in lines), result.stderr
    assert any(line.endswith("publishing.worker: drained 3 tasks") for line in lines), result.stderr
    assert "audit" not in result.stderr and "GetItem" not in result.stderr


def test_json_on_request():
    result = _run(LOG_FORMAT="json")
    assert '"message": "drained 3 tasks"' in result.stderr and '"message": "audit"' in result.stderr
