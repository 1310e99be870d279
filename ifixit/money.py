"""Money as people read it: the group's currency (a setting) and how amounts are shown.

Amounts are Decimals with two places everywhere (DecimalField in the database, never
floats); only their display depends on the currency.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")

# The currencies a dealer group here is likely to trade in; any other ISO 4217 code
# is shown as its code ("CHF 1,200").
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "IEP": "£", "AUD": "A$", "CAD": "C$", "NZD": "NZ$"}


def currency() -> str:
    return settings.CURRENCY


def symbol(code: str | None = None) -> str:
    code = code or currency()
    return SYMBOLS.get(code, f"{code} ")


def to_cents(amount: Decimal) -> Decimal:
    """Round to the smallest unit, half up as a cashier would."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount, places: int = 0) -> str:
    """£12,345 (or £12,345.67 with places=2); negative as −£1,200; nothing as —."""
    if amount is None or amount == "":
        return "—"
    amount = Decimal(amount)
    sign = "−" if amount < 0 else ""
    return f"{sign}{symbol()}{abs(amount):,.{int(places)}f}"
