"""Rebuild the whole public table from the approved snapshots (`--dry-run` only reports the difference)."""

from django.core.management.base import BaseCommand, CommandError

from metalfests.checks import COMMAND_CHECKS
from metalfests.progress import Progress
from publishing.services import LeaseBusy, republish
from publishing.table_guard import TableUnavailable, dynamodb_ready
from publishing.writer import Fenced


class Command(BaseCommand):
    help = ("Write every public item that is missing or different, delete items no longer published, "
            "and invalidate what changed. Safe to run at any time; a second run writes nothing.")
    requires_system_checks = COMMAND_CHECKS  # not the URL checks: no URL is served

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only report what would be written and deleted.")
        parser.add_argument("--show", type=int, default=20, help="With --dry-run, list up to this many keys.")
        parser.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                            help="Stop at a checkpoint after about this long; the next republish (or the scheduled "
                                 "worker) resumes there. Runs in the AWS worker Lambda use its remaining time.")
        parser.add_argument("--restart", action="store_true",
                            help="Discard a checkpointed republish in progress and start from the first record.")

    def handle(self, *args, dry_run=False, show=20, time_budget=None, restart=False, **options):
        try:
            with dynamodb_ready(say=self.stderr.write), Progress(self.stderr, unit="record") as progress:
                report = republish(dry_run=dry_run, progress=progress, time_budget=time_budget, restart=restart)
        except (LeaseBusy, Fenced, TableUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        verb = "would write" if dry_run else "wrote"
        self.stdout.write(
            f"{report.desired} public items from the database; {report.stored} in the table; "
            f"{verb} {report.puts}, {'would delete' if dry_run else 'deleted'} {report.deletes}, "
            f"unchanged {report.unchanged}."
            + ("" if report.complete else " Stopped at a checkpoint for time: run it again to carry on.")
        )
        if dry_run:
            for label, keys, total in (("put", report.put_keys, report.puts),
                                       ("delete", report.delete_keys, report.deletes)):
                for pk, sk in keys[:show]:
                    self.stdout.write(f"  {label:6} {pk} / {sk}")
                if total > min(show, len(keys)):
                    self.stdout.write(f"  … and {total - min(show, len(keys))} more to {label}")
        elif report.invalidation_items:
            self.stdout.write(f"invalidated {len(report.invalidation_items)} items: "
                              + ", ".join(report.invalidation_items[:10])
                              + (" …" if len(report.invalidation_items) > 10 else ""))
            self.stdout.write(f"{report.answers_changed} public answers changed: "
                              + ", ".join(report.changed_paths[:10])
                              + (" …" if report.answers_changed > 10 else ""))

        if report.failures:
            for line in report.failed:
                self.stderr.write(f"  not published: {line}")
            raise CommandError(f"{len(report.failures)} record(s) could not be published (the rest was): "
                               + "; ".join(report.failed)[:2000])
