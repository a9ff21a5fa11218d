"""App configuration for publishing: connects the outbox to the catalog's publish signal."""

from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self):
        from catalog.signals import public_state_changed

        from .outbox import on_public_state_changed

        public_state_changed.connect(on_public_state_changed, dispatch_uid="publishing.outbox")
