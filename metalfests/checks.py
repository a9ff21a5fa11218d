"""The system checks our management commands run before they start.

Django runs every system check before a command by default, and the URL checks load the whole URL
configuration: every view module, with DRF and the admin API's views. A command that serves no URL
has no use for them. `manage.py check`, runserver and migrate still run every check.
"""

from django.core.checks import Tags

COMMAND_CHECKS = [
    Tags.admin, Tags.async_support, Tags.caches, Tags.compatibility, Tags.files, Tags.models,
    Tags.security, Tags.signals, Tags.sites, Tags.staticfiles, Tags.templates, Tags.translation,
]
"""Every tag of Django's checks but `urls` (a command's `requires_system_checks`)."""
