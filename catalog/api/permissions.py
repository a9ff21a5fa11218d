"""Permissions by admin group: read for viewers, write for editors, delete and approve for full admins.

Views name what they need in `required_group` per method; the catalog services check the
model permissions again (a PermissionDenied there is a 403 too).
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.groups import ADMIN_GROUPS, EDITOR, FULL, VIEWER

READ, WRITE, MANAGE = "read", "write", "manage"
_GROUPS_FOR = {READ: {VIEWER, EDITOR, FULL}, WRITE: {EDITOR, FULL}, MANAGE: {FULL}}


def user_groups(user) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    cached = getattr(user, "_admin_groups_cache", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ADMIN_GROUPS).values_list("name", flat=True))
        if user.is_superuser:
            cached.add(FULL)
        user._admin_groups_cache = cached
    return cached


class AdminGroupPermission(BasePermission):
    """`view.access` maps methods to READ/WRITE/MANAGE; by default safe methods read and others write."""

    message = "Your admin group does not allow this."

    def has_permission(self, request, view):
        groups = user_groups(request.user)
        if not groups:
            return False
        access = getattr(view, "access", {}).get(request.method)
        if access is None:
            access = READ if request.method in SAFE_METHODS else WRITE
        return bool(groups & _GROUPS_FOR[access])
