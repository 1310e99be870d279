from ifixit.notifications.selectors import unread_count


def bell(request):
    """The unread count for the bell in the page header (one query, signed-in users only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
