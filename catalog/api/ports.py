"""What the admin API needs from other apps, without importing them (catalog never imports publishing).

Publishing plugs its implementation in at start-up (`PublishingConfig.ready()` calls
`plug_publishing`); until then, calling the port says clearly what is missing.
"""

from django.core.exceptions import ImproperlyConfigured


class _Unplugged:
    def __getattr__(self, name):
        raise ImproperlyConfigured(f"The admin API needs publishing.{name}, but the publishing app is not installed.")


publishing = _Unplugged()


def plug_publishing(implementation) -> None:
    """`implementation` offers last_task_id, cache_invalidation_block, invalidate_paths, cache_status, health."""
    global publishing
    publishing = implementation
