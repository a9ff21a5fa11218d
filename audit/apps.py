"""App configuration for the audit trail."""

import getpass
import os
import sys

from django.apps import AppConfig

# Long-running servers set the context per request; every other manage.py command is an operator's action.
_NOT_COMMANDS = {"runserver", "test", "shell", "dbshell", "check", "makemigrations", "showmigrations"}


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        argv = sys.argv
        if len(argv) > 1 and os.path.basename(argv[0]) == "manage.py" and argv[1] not in _NOT_COMMANDS:
            from .context import AuditContext, _current
            from .models import AuditSource

            try:
                operator = getpass.getuser()
            except Exception:  # no login name in some containers
                operator = ""
            _current.set(AuditContext(
                source=AuditSource.COMMAND,
                actor_name=f"manage.py {argv[1]}" + (f" ({operator})" if operator else ""),
            ))
