"""App configuration for identity and access."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        from . import groups  # noqa: F401  (connects post_migrate group sync)
