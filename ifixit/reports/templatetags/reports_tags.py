"""Template filters of the report pages: a cell shown by its column's kind."""

from datetime import date
from decimal import Decimal

from django import template

from ifixit.money import format_money

register = template.Library()


@register.filter
def cell(value, kind: str) -> str:
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "money":
        return format_money(value, 2)
    if kind == "percent":
        return f"{Decimal(str(value)) * 100:.1f}%"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "days":
        return f"{Decimal(str(value)):,.1f}"
    if kind == "decimal":
        return f"{Decimal(str(value)):,.2f}"
    if kind == "date" and isinstance(value, date):
        return f"{value:%d %b %Y}"
    return str(value)


@register.filter
def as_list(value) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]
