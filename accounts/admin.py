"""Admin pages for identities (read-only: they come from the provider) and API keys (revoke only)."""

from django.contrib import admin, messages

from .models import ApiKey, Identity
from .services import api_key_revoke


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "sub", "email", "asserted_groups", "last_sign_in_at")
    search_fields = ("user__username", "sub", "email")
    readonly_fields = [f.name for f in Identity._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "group", "created_at", "created_by", "last_used_at", "revoked_at")
    list_filter = ("group", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix")
    readonly_fields = ("name", "prefix", "group", "user", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are created with `manage.py create_api_key`, which shows the key once

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the audit trail keeps naming the key

    @admin.action(description="Revoke the selected API keys", permissions=["manage"])
    def revoke(self, request, queryset):
        for key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(key=key)
        messages.success(request, "Revoked.")

    def has_manage_permission(self, request):
        return request.user.has_perm("accounts.manage_apikey")
