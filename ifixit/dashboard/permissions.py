from rest_framework.permissions import BasePermission

from ifixit.accounts.roles import is_group_admin


class IsGroupAdmin(BasePermission):
    """The integration dashboard and its API are for admins only."""

    message = "Only admins may use the integration dashboard."

    def has_permission(self, request, view):
        return is_group_admin(request.user)
