"""Create a named admin API key acting with one admin group; the key is printed once, never stored."""

from django.core.management.base import BaseCommand, CommandError

from accounts.groups import ADMIN_GROUPS
from accounts.services import api_key_create
from audit.context import audit_context
from audit.models import AuditSource
from metalfests.checks import COMMAND_CHECKS


class Command(BaseCommand):
    help = "Create an API key for the admin API (header X-Api-Key). The key is shown once; only its hash is kept."
    requires_system_checks = COMMAND_CHECKS  # not the URL checks: no URL is served

    def add_arguments(self, parser):
        parser.add_argument("name", help="A unique name, shown in the audit trail (e.g. ci-importer).")
        parser.add_argument("--group", required=True, choices=ADMIN_GROUPS, help="The permissions the key acts with.")

    def handle(self, *args, name, group, **options):
        with audit_context(source=AuditSource.COMMAND, actor_name="manage.py create_api_key"):
            try:
                key, raw = api_key_create(name=name, group_name=group, created_by="manage.py")
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        self.stderr.write(f"API key {key.name!r} ({group}) created. Store it now: it cannot be shown again.")
        self.stdout.write(raw)
