"""Apply the publish tasks waiting in the outbox (`--loop` keeps draining)."""

import time

from django.core.management.base import BaseCommand, CommandError

from metalfests.checks import COMMAND_CHECKS
from metalfests.progress import Progress
from publishing.worker import drain


class Command(BaseCommand):
    help = "Apply pending publish tasks to DynamoDB and the CDN; failed tasks are retried with backoff."
    requires_system_checks = COMMAND_CHECKS  # not the URL checks: no URL is served

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep draining until interrupted.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between drains with --loop.")
        parser.add_argument("--max-tasks", type=int, default=None, help="Stop after this many tasks.")
        parser.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                            help="Stop in time: between tasks, or a bulk rebuild at a checkpoint the next run resumes.")

    def handle(self, *args, loop=False, interval=2.0, max_tasks=None, time_budget=None, **options):
        while True:
            with Progress(self.stderr, unit="task") as progress:
                report = drain(max_tasks=max_tasks, wait_for_lease=0 if loop else 5.0, time_budget=time_budget,
                               progress=progress)
            if report.applied or report.failed or report.rebuild_pending or not loop:
                self.stdout.write(
                    f"applied {report.applied}, failed {report.failed}, waiting behind a failure {report.blocked}"
                    + (" (another worker holds the lease)" if report.lease_busy else "")
                    + (f"; a bulk rebuild of {report.rebuild_pending} tasks stopped at a checkpoint for time "
                       "(run again to carry on)" if report.rebuild_pending else "")
                )
                for error in report.errors:
                    self.stderr.write(f"  {error}")
            if not loop:
                break
            time.sleep(interval)
        if report.failed:
            raise CommandError(f"{report.failed} task(s) failed; they stay in the outbox and are retried with backoff")
