from rest_framework.permissions import BasePermission

from ifixit.accounts import roles


def is_group_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and (user.is_superuser or user.role == roles.ADMIN))


class IsGroupAdmin(BasePermission):
    """The integration dashboard and its API are for admins only."""

    message = "Only admins may use the integration dashboard."

    def has_permission(self, request, view):
        return is_group_admin(request.user)
