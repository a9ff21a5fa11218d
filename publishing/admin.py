"""Admin pages for the outbox (pending and failed tasks, retry for full admins) and recorded invalidations."""

from django.contrib import admin, messages
from django.utils.html import format_html

from metalfests.admin_site import ReadOnlyModelAdmin

from .models import Invalidation, PublishTask, TaskStatus


class StateFilter(admin.SimpleListFilter):
    """Opens on what needs attention: tasks still pending or failed."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("waiting", "Pending or failed"), ("failed", "Failed"), ("done", "Done"), ("all", "All")]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or "waiting") == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "waiting"
        if value == "waiting":
            return queryset.exclude(status=TaskStatus.DONE)
        if value == "failed":
            return queryset.filter(status=TaskStatus.FAILED)
        if value == "done":
            return queryset.filter(status=TaskStatus.DONE)
        return queryset


@admin.register(PublishTask)
class PublishTaskAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "change", "kind", "record_key", "status", "attempts", "created_at", "next_attempt_at",
                    "done_at", "items_written", "items_deleted", "error"]
    list_filter = [StateFilter, "kind", "change"]
    search_fields = ["record_key", "previous_key", "last_error"]
    actions = ["retry_now"]
    readonly_fields = [f.name for f in PublishTask._meta.fields]

    @admin.display(description="error")
    def error(self, task):
        return format_html("<code>{}</code>", task.last_error[:160]) if task.last_error else ""

    def has_publish_permission(self, request):
        return request.user.has_perm("publishing.publish_publishtask")

    @admin.action(description="Retry the selected failed tasks now", permissions=["publish"])
    def retry_now(self, request, queryset):
        from .worker import task_retry_now  # not at import: the admin loads while Django sets up

        retried = sum(task_retry_now(task) for task in queryset)
        if retried:
            from .views import _drain_if_local

            _drain_if_local()
        self.message_user(request, f"{retried} task(s) will be retried now.", messages.SUCCESS)


@admin.register(Invalidation)
class InvalidationAdmin(ReadOnlyModelAdmin):
    # Fits the page: the caller reference and the full lists are on each invalidation's own page.
    list_display = ["created_at", "status", "summary", "answers", "task", "cloudfront_id"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Invalidation._meta.fields]

    @admin.display(description="items sent")
    def summary(self, invalidation):
        return _listing(invalidation.items)

    @admin.display(description="public answers changed")
    def answers(self, invalidation):
        return _listing(invalidation.changed_paths)


def _listing(values, shown: int = 12):
    """The first few values, wrapping inside the column (long tags would otherwise widen the table)."""
    values = values or []
    more = f" … and {len(values) - shown} more" if len(values) > shown else ""
    return format_html('<code style="white-space:normal;overflow-wrap:anywhere">{}</code>{}', " ".join(values[:shown]), more)
