"""Swaps in the project's admin site as the default one (so `admin.site` is ours everywhere)."""

from django.contrib.admin.apps import AdminConfig


class MetalFestsAdminConfig(AdminConfig):
    default_site = "metalfests.admin_site.MetalFestsAdminSite"
