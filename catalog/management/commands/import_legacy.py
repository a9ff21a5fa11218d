"""`manage.py import_legacy PATH`: migrate a legacy `db.json` into the catalog (see catalog.importer.service).

Before writing, the DynamoDB the publish goes to must be there (`publishing.table_guard`):
locally that is DynamoDB Local, started if needed, with its table; with production settings
the table must exist, or nothing is written. After the import the command reports what
became of the publish tasks it queued, and exits with an error when any of them failed.
"""

import getpass
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.context import audit_context
from audit.models import AuditSource
from catalog.currencies import CURRENCY_CODES
from catalog.importer.schema import ImportFileError, load_legacy_file, validate
from catalog.importer.service import legacy_import
from publishing.models import PublishTask, TaskStatus
from publishing.table_guard import TableUnavailable, dynamodb_ready


class Command(BaseCommand):
    help = "Import a legacy db.json ({festivals, bands}): records arrive approved, in one transaction."

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
            with audit_context(source=AuditSource.COMMAND, actor_name=getpass.getuser()):
                return legacy_import(data=data, currency=currency, dry_run=dry_run, overwrite=overwrite,
                                     progress=lambda message: self.stderr.write(message))

        if dry_run:  # nothing is written, nothing published: no DynamoDB needed
            result, publishing = run(), None
        else:
            try:
                with dynamodb_ready(say=self.stderr.write):
                    last_task = PublishTask.objects.order_by("-id").values_list("id", flat=True).first() or 0
                    result = run()
                    publishing = publish_outcome(last_task)
            except TableUnavailable as exc:
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
        self.stdout.write(
            f"Publishing: {total} task(s) queued by this import: {counts.get(TaskStatus.DONE, 0)} done, "
            f"{counts.get(TaskStatus.PENDING, 0) + counts.get(TaskStatus.RUNNING, 0)} waiting, "
            f"{counts.get(TaskStatus.FAILED, 0)} failed."
        )
        if counts.get(TaskStatus.FAILED):
            for error, n in publishing["errors"]:
                self.stderr.write(f"  {n} × {error}")
            raise CommandError(
                f"The import is saved, but {counts[TaskStatus.FAILED]} of its {total} publish tasks failed, so the "
                "public API does not show it yet. Fix the cause above, then run `manage.py publish_pending` "
                "(or `manage.py republish`).")
        waiting = counts.get(TaskStatus.PENDING, 0) + counts.get(TaskStatus.RUNNING, 0)
        if waiting:
            self.stdout.write(f"  {waiting} task(s) wait for the publishing worker (`manage.py publish_pending`).")


def publish_outcome(after_task_id: int) -> dict:
    """What became of the publish tasks written after `after_task_id`: counts by status, distinct errors."""
    tasks = PublishTask.objects.filter(id__gt=after_task_id)
    counts = {status: tasks.filter(status=status).count() for status in TaskStatus.values}
    errors: dict[str, int] = {}
    for error in tasks.filter(status=TaskStatus.FAILED).values_list("last_error", flat=True):
        first_line = (error or "unknown error").strip().splitlines()[0][:300] if error else "unknown error"
        errors[first_line] = errors.get(first_line, 0) + 1
    return {"counts": {k: v for k, v in counts.items() if v},
            "errors": sorted(errors.items(), key=lambda item: -item[1])[:5]}
