"""Mail each approver the records waiting for their review (scheduled in production; see infra/zappa_settings.json)."""

from django.core.management.base import BaseCommand

from notifications.services import send_review_digest


class Command(BaseCommand):
    help = "E-mail each approver who wants it one digest of the records waiting for their review."

    def handle(self, *args, **options):
        result = send_review_digest()
        self.stdout.write(f"Review digest: {result['sent']} e-mail(s) sent, {result['records']} record(s) in review.")
