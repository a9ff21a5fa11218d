"""App configuration for identity and access."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        from . import groups, signals  # noqa: F401  (post_migrate group sync; sign-in audit receivers)
