"""App configuration for releases: plugs the release workflow into the catalog's guards and the publishing worker."""

from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "releases"
    verbose_name = "Releases"

    def ready(self):
        from catalog.services import approval_guards
        from publishing import releases as publishing_releases

        from .services import guard_single_approval, releases_go_live_due

        if guard_single_approval not in approval_guards:
            approval_guards.append(guard_single_approval)
        if releases_go_live_due not in publishing_releases.go_live_hooks:
            publishing_releases.go_live_hooks.append(releases_go_live_due)
