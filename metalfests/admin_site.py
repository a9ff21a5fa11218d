"""The project's admin site: Django's, plus the review queue and a dashboard on the index page."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """For records the system writes (audit entries, publish tasks, invalidations): nobody adds, changes or deletes."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MetalFestsAdminSite(admin.AdminSite):
    site_header = "Metal Fests back office"
    site_title = "Metal Fests"
    index_title = "Catalog"
    index_template = "admin/metalfests/index.html"

    @property
    def site_url(self):
        """"View site" opens the public API (this Django project serves no public pages)."""
        from django.conf import settings

        return settings.PUBLIC_API_BASE_URL.rstrip("/") + "/api/festivals"

    def get_urls(self):
        return [path("review-queue/", self.admin_view(self.review_queue_view), name="review_queue")] + super().get_urls()

    def index(self, request, extra_context=None):
        from catalog import selectors

        extra_context = {**(extra_context or {}), "review_counts": selectors.review_counts()}
        return super().index(request, extra_context)

    def review_queue_view(self, request):
        from catalog import selectors

        context = {
            **self.each_context(request),
            "title": "Waiting for review",
            "queue": selectors.review_queue(),
            "returned": selectors.returned_drafts(),
            "review_counts": selectors.review_counts(),
        }
        return TemplateResponse(request, "admin/metalfests/review_queue.html", context)
