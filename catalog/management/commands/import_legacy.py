"""`manage.py import_legacy PATH`: migrate a legacy `db.json` into the catalog (see catalog.importer.service)."""

import getpass
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.context import audit_context
from audit.models import AuditSource
from catalog.currencies import CURRENCY_CODES
from catalog.importer.schema import ImportFileError, load_legacy_file
from catalog.importer.service import legacy_import
from metalfests.checks import COMMAND_CHECKS


class Command(BaseCommand):
    help = "Import a legacy db.json ({festivals, bands}): records arrive approved, in one transaction."
    requires_system_checks = COMMAND_CHECKS  # not the URL checks: no URL is served

    def add_arguments(self, parser):
        parser.add_argument("path", help="the legacy db.json")
        parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
        parser.add_argument("--overwrite", action="store_true",
                            help="also replace records that editors changed since the last import")
        parser.add_argument("--currency", default=settings.DEFAULT_CURRENCY,
                            help="ISO 4217 code for prices without one (default: %(default)s)")
        parser.add_argument("--report", metavar="FILE", help="also write the full report as JSON to FILE")

    def handle(self, *args, path, dry_run, overwrite, currency, report, verbosity, **options):
        if currency.upper() not in CURRENCY_CODES:
            raise CommandError(f"--currency: “{currency}” is not an ISO 4217 currency code.")
        try:
            data = load_legacy_file(path)
            with audit_context(source=AuditSource.COMMAND, actor_name=getpass.getuser()):
                result = legacy_import(data=data, currency=currency, dry_run=dry_run, overwrite=overwrite,
                                       progress=lambda message: self.stderr.write(message))
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        for line in result.lines(verbose=verbosity >= 2):
            self.stdout.write(line)
        if report:
            with open(report, "w", encoding="utf-8") as handle:
                json.dump(result.as_dict(), handle, ensure_ascii=False, indent=2, default=str)
            self.stdout.write(f"Report written to {report}.")
