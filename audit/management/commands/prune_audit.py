"""Delete audit entries older than N days (never fewer than 90)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.context import audit_context
from audit.models import AuditSource
from audit.retention import RetentionTooShort, audit_prune
from metalfests.checks import COMMAND_CHECKS


class Command(BaseCommand):
    help = "Delete audit entries older than --older-than-days (default AUDIT_RETENTION_DAYS; at least 90)."
    requires_system_checks = COMMAND_CHECKS  # not the URL checks: no URL is served

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None)
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")

    def handle(self, *args, older_than_days=None, dry_run=False, **options):
        days = older_than_days if older_than_days is not None else settings.AUDIT_RETENTION_DAYS
        with audit_context(source=AuditSource.COMMAND, actor_name="manage.py prune_audit"):
            try:
                count = audit_prune(older_than_days=days, dry_run=dry_run)
            except RetentionTooShort as exc:
                raise CommandError(str(exc)) from exc
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"{count} audit entries older than {days} days {verb}.")
