"""`manage.py import_legacy PATH`: migrate a legacy `db.json` into the catalog (see catalog.importer.service).

Before writing, the DynamoDB the publish goes to must be there (`publishing.table_guard`):
locally that is DynamoDB Local, started if needed, with its table; with production settings
the table must exist, or nothing is written. After the import the command reports what
became of the publish tasks it queued, and exits with an error when any of them failed.
On a terminal a progress bar shows the records as they are written; the audit trail's line per
record and PynamoDB's INFO lines stay off the console (the audit is in the database), and the
report ends with one summary line.
"""

import getpass
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.context import audit_context
from audit.models import AuditSource
from catalog.api import ports  # publishing, without importing it (catalog never imports publishing)
from catalog.currencies import CURRENCY_CODES
from catalog.importer.console import QUIET_LOGGERS, quiet
from catalog.importer.schema import ImportFileError, load_legacy_file, validate
from catalog.importer.service import legacy_import
from metalfests.checks import COMMAND_CHECKS
from metalfests.progress import Progress


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
            validate(data)  # a malformed file is refused before anything else is looked at
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc

        def run():
            with audit_context(source=AuditSource.COMMAND, actor_name=getpass.getuser()), Progress(self.stderr) as bar:
                return legacy_import(data=data, currency=currency, dry_run=dry_run, overwrite=overwrite,
                                     progress=lambda what, done, total: bar(done, total, what))

        with quiet(*QUIET_LOGGERS):
            if dry_run:  # nothing is written, nothing published: no DynamoDB needed
                result, publishing = run(), None
            else:
                try:
                    with ports.publishing.dynamodb_ready(say=self.stderr.write):
                        last_task = ports.publishing.last_task_id()
                        result = run()
                        publishing = ports.publishing.publish_outcome(last_task)
                except ports.publishing.table_unavailable() as exc:
                    raise CommandError(f"Nothing imported: {exc}") from exc
        for line in result.lines(verbose=verbosity >= 2):
            self.stdout.write(line)
        if report:
            with open(report, "w", encoding="utf-8") as handle:
                json.dump({**result.as_dict(), "publishing": publishing}, handle, ensure_ascii=False, indent=2,
                          default=str)
            self.stdout.write(f"Report written to {report}.")
        if publishing is not None:
            self._publishing_summary(publishing)

    def _publishing_summary(self, publishing: dict) -> None:
        counts = publishing["counts"]
        total = sum(counts.values())
        if not total:
            self.stdout.write("Publishing: nothing to publish (no public change).")
            return
        done, failed = counts.get("done", 0), counts.get("failed", 0)
        waiting = counts.get("pending", 0) + counts.get("running", 0)
        self.stdout.write(
            f"Publishing: {total} task(s) queued by this import: {done} done, {waiting} waiting, {failed} failed."
        )
        if failed:
            for error, n in publishing["errors"]:
                self.stderr.write(f"  {n} × {error}")
            raise CommandError(
                f"The import is saved, but {failed} of its {total} publish tasks failed, so the "
                "public API does not show it yet. Fix the cause above, then run `manage.py publish_pending` "
                "(or `manage.py republish`).")
        if waiting:
            self.stdout.write(f"  {waiting} task(s) wait for the publishing worker (`manage.py publish_pending`).")


