"""WSGI entry point: runserver locally, Zappa on AWS Lambda."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metalfests.settings.local")

application = get_wsgi_application()
