"""App configuration for identity and access."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import groups, signals  # noqa: F401  (post_migrate group sync; sign-in audit receivers)

        post_migrate.connect(_create_cache_tables, sender=self)


def _create_cache_tables(sender, using="default", verbosity=1, **kwargs) -> None:
    """The database cache holding the admin API's failed-authentication counts (settings.CACHES).

    Created with every `migrate` (idempotent), so a deployment needs no extra step.
    """
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
