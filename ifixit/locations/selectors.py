"""Which locations a user may see: the one place scoping starts from, for every app's reads
(each app's `..._visible_to` narrows its own rows by these locations)."""

from django.db.models import QuerySet

from ifixit.locations.models import Location


def locations_visible_to(user) -> QuerySet[Location]:
    """Every location for admins and group-wide users, their own for everyone else, none for
    a user signed out or switched off."""
    if not user.is_authenticated or not user.is_active:
        return Location.objects.none()
    if user.is_group_wide:
        return Location.objects.all()
    return Location.objects.filter(staff=user)
