"""Revoke an admin API key by name: it stops working at once."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiKey
from accounts.services import api_key_revoke
from audit.context import audit_context
from audit.models import AuditSource
from metalfests.checks import COMMAND_CHECKS


class Command(BaseCommand):
    help = "Revoke an API key of the admin API by name."
    requires_system_checks = COMMAND_CHECKS  # not the URL checks: no URL is served

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        key = ApiKey.objects.filter(name=name).first()
        if key is None:
            raise CommandError(f"no API key named {name!r}")
        with audit_context(source=AuditSource.COMMAND, actor_name="manage.py revoke_api_key"):
            api_key_revoke(key=key)
        self.stdout.write(f"API key {name!r} revoked.")
