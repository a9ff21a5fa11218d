"""Tell the people on duty about failed publishing tasks (scheduled in production; see infra/zappa_settings.json)."""

from django.core.management.base import BaseCommand

from notifications.services import send_publishing_alerts


class Command(BaseCommand):
    help = "E-mail the people on duty about publishing tasks that failed or stay failed past the threshold."

    def handle(self, *args, **options):
        result = send_publishing_alerts()
        self.stdout.write(
            f"Publishing alerts: {result['failed']} newly failed, {result['stuck']} stuck, {result['sent']} e-mail(s) sent."
        )
