"""Load the demo catalog and the local admin login (local development only)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.demo import LOCAL_ADMIN_PASSWORD, LOCAL_ADMIN_USERNAME, demo_load, local_admin_ensure
from metalfests.checks import COMMAND_CHECKS


class Command(BaseCommand):
    help = "Create a small fictional catalog (approved) and a local admin login. Refuses to run with DEBUG off."
    requires_system_checks = COMMAND_CHECKS  # not the URL checks: no URL is served

    def add_arguments(self, parser):
        parser.add_argument("--no-admin", action="store_true", help="Do not create the local admin login.")

    def handle(self, *args, no_admin=False, **options):
        if not settings.DEBUG:
            raise CommandError("load_demo is for local development (DEBUG on) only.")
        created = demo_load()
        self.stdout.write("Demo catalog: " + ", ".join(f"{n} {kind} created" for kind, n in created.items()))
        if not no_admin and local_admin_ensure():
            self.stdout.write(f"Local admin login: {LOCAL_ADMIN_USERNAME} / {LOCAL_ADMIN_PASSWORD}")
