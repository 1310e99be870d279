"""Figures of the value model as people read them."""

from django import template

register = template.Library()


@register.filter
def percent(fraction, places: int = 1) -> str:
    """0.083 → "8.3%"; nothing → "—"."""
    if fraction is None or fraction == "":
        return "—"
    return f"{float(fraction) * 100:.{int(places)}f}%"


@register.filter
def signed_percent(fraction, places: int = 1) -> str:
    """0.021 → "+2.1%", −0.04 → "−4.0%": a bias, where the sign is the point."""
    if fraction is None or fraction == "":
        return "—"
    value = float(fraction) * 100
    return f"{'+' if value >= 0 else '−'}{abs(value):.{int(places)}f}%"
