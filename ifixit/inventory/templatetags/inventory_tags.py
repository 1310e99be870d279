"""Template filters for inventory pages: money and phase badges."""

from django import template
from django.utils import timezone

from ifixit.inventory.models import Phase
from ifixit.money import format_money, symbol

register = template.Library()


@register.filter
def money(value, places: int = 0) -> str:
    """£12,345 (or £12,345.67 with places=2) in the group's currency; negative as −£1,200."""
    return format_money(value, places)


@register.simple_tag
def currency_symbol() -> str:
    return symbol()


@register.filter
def phase_label(value: str) -> str:
    try:
        return Phase(value).label
    except ValueError:
        return value or "—"


@register.filter
def days_since(value) -> int:
    if not value:
        return 0
    return (timezone.now() - value).days


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def person(user) -> str:
    """A user's full name, else username; 'system' for changes nobody made by hand."""
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()
