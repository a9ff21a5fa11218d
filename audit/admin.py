"""The searchable, read-only audit view: nobody (not even a superuser) adds, changes or deletes entries here."""

import json

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from metalfests.admin_site import ReadOnlyModelAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("at", "action", "actor_label", "source", "object_label", "changed_fields", "ip")
    list_filter = ("action", "source", ("content_type", admin.RelatedOnlyFieldListFilter), "at")
    search_fields = ("actor_name", "actor_sub", "api_key_name", "object_repr", "object_pk", "ip", "user_agent")
    date_hierarchy = "at"
    list_select_related = ("content_type", "actor")
    list_per_page = 100
    readonly_fields = (
        "at", "action", "source", "actor", "actor_name", "actor_sub", "api_key_name", "content_type",
        "object_pk", "object_repr", "changes_table", "detail_json", "ip", "user_agent",
    )
    exclude = ("changes", "detail")
    actions = None
    network_fields = ("ip", "user_agent")

    # Client addresses and user agents: full admins only (accounts.groups.sees_network_details).
    def get_list_display(self, request):
        return [f for f in super().get_list_display(request) if f not in self.network_fields or self._network(request)]

    def get_search_fields(self, request):
        return [f for f in super().get_search_fields(request) if f not in self.network_fields or self._network(request)]

    def get_fields(self, request, obj=None):
        return [f for f in super().get_fields(request, obj) if f not in self.network_fields or self._network(request)]

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj)
                if f not in self.network_fields or self._network(request)]

    @staticmethod
    def _network(request) -> bool:
        from accounts.groups import sees_network_details

        return sees_network_details(request.user)

    @admin.display(description="who", ordering="actor_name")
    def actor_label(self, entry):
        label = entry.actor_name or "system"
        if entry.api_key_name:
            label += f" (API key {entry.api_key_name})"
        return label

    @admin.display(description="record", ordering="object_repr")
    def object_label(self, entry):
        if not entry.content_type_id:
            return "—"
        return f"{entry.content_type.model} {entry.object_repr}"

    @admin.display(description="fields")
    def changed_fields(self, entry):
        return ", ".join(sorted(entry.changes)) or "—"

    @admin.display(description="changes (before → after)")
    def changes_table(self, entry):
        if not entry.changes:
            return "—"
        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            ((field, _short(pair[0] if isinstance(pair, list) else pair), _short(pair[1] if isinstance(pair, list) and len(pair) > 1 else ""))
             for field, pair in sorted(entry.changes.items())),
        )
        return format_html("<table><tr><th>field</th><th>before</th><th>after</th></tr>{}</table>", rows)

    @admin.display(description="detail")
    def detail_json(self, entry):
        return format_html("<pre>{}</pre>", json.dumps(entry.detail, indent=2, ensure_ascii=False)) if entry.detail else "—"


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 300 else text[:300] + "…"
