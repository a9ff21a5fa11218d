"""Create the public read model's DynamoDB table (with its indexes) when it is missing."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand

from metalfests.checks import COMMAND_CHECKS


class Command(BaseCommand):
    help = "Create the DynamoDB table and its three GSIs if they do not exist (local runs and tests)."
    requires_system_checks = COMMAND_CHECKS  # not the URL checks: no URL is served

    def handle(self, *args, **options):
        from read_api import config, table

        # The read tier reads its configuration from the environment: hand it Django's.
        os.environ.setdefault("DYNAMODB_TABLE_NAME", settings.DYNAMODB_TABLE_NAME)
        if settings.AWS_ENDPOINT_URL_DYNAMODB:
            os.environ.setdefault("AWS_ENDPOINT_URL_DYNAMODB", settings.AWS_ENDPOINT_URL_DYNAMODB)
        os.environ.setdefault("AWS_REGION", settings.AWS_REGION)
        os.environ.setdefault("DYNAMODB_READ_TIMEOUT_SECONDS", "30")  # table creation is not the hot path
        current = config.reload()
        created = table.create()
        where = current.endpoint_url or f"AWS {current.region}"
        self.stdout.write(f"{'created' if created else 'exists:'} table {current.table_name} at {where}")
