"""The bell in the page header: the signed-in user's unread count."""

from django.utils.functional import SimpleLazyObject

from ifixit.notifications.selectors import unread_count


def bell(request):
    """The unread count, counted (one query) only when a template shows it, and once per request.

    Context processors run for every template rendered with the request, fragments and panels
    included (a car page renders several), and most of those never show the bell."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not hasattr(request, "_bell_unread"):
        request._bell_unread = SimpleLazyObject(lambda: unread_count(user))
    return {"unread_notifications": request._bell_unread}
