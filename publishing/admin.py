"""Admin pages for the outbox (pending and failed tasks, retry for full admins) and recorded invalidations."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join

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
    # Fits the page at 1400 and 800 px: one value per line; the caller reference and the full lists are on
    # each invalidation's own page.
    list_display = ["created", "state", "summary", "answers", "task_summary"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Invalidation._meta.fields]

    @admin.display(description="created", ordering="created_at")
    def created(self, invalidation):
        return timezone.localtime(invalidation.created_at).strftime("%Y-%m-%d %H:%M:%S")

    @admin.display(description="status", ordering="status")
    def state(self, invalidation):
        if invalidation.cloudfront_id:
            return format_html("{}<br><code>{}</code>", invalidation.get_status_display(), invalidation.cloudfront_id)
        return invalidation.get_status_display()

    @admin.display(description="items sent")
    def summary(self, invalidation):
        return _listing(invalidation.items)

    @admin.display(description="public answers changed")
    def answers(self, invalidation):
        return _listing(invalidation.changed_paths)

    @admin.display(description="task")
    def task_summary(self, invalidation):
        task = invalidation.task
        if task is None:
            return "—"
        return format_html("#{} {} {}<br><code>{}</code>", task.pk, task.change, task.kind, task.record_key)


def _listing(values, shown: int = 12):
    """The first few values, one per line, wrapping inside the column (long keys would widen the table)."""
    values = values or []
    more = f"… and {len(values) - shown} more" if len(values) > shown else ""
    lines = format_html_join("", '<code style="display:block;overflow-wrap:anywhere">{}</code>', ((v,) for v in values[:shown]))
    return format_html("{}{}", lines, more)
