"""Template filters of the finance pages."""

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def waited(since, now=None) -> str:
    """How long since `since`, as people say it: '40 min', '5 h', '3 days'."""
    if not since:
        return "—"
    seconds = max(0, int(((now or timezone.now()) - since).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@register.filter
def hours(value) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} h" if value >= 10 else f"{value:.1f} h"
