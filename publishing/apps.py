"""App configuration for publishing: connects the outbox to the catalog's publish signal."""

from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from catalog.api import ports
        from catalog.models import FestivalAlias
        from catalog.signals import public_state_changed, public_states_changed

        from . import admin_api
        from .outbox import on_festival_alias_changed, on_public_state_changed, on_public_states_changed

        public_state_changed.connect(on_public_state_changed, dispatch_uid="publishing.outbox")
        public_states_changed.connect(on_public_states_changed, dispatch_uid="publishing.outbox.many")
        # Former festival keys edited directly in the admin (renames are covered by the signal above).
        for signal in (post_save, post_delete):
            signal.connect(on_festival_alias_changed, sender=FestivalAlias, dispatch_uid=f"publishing.alias.{signal}")
        # The admin API's port to publishing (catalog never imports publishing).
        ports.plug_publishing(admin_api)

        # What the catalog admin shows of a record's public copy (pending, failed, last published).
        from catalog.signals import public_state_describers

        from .selectors import public_state_text

        if public_state_text not in public_state_describers:
            public_state_describers.append(public_state_text)
