"""The arithmetic of a finance agreement, as a customer is quoted it.

Pure functions over Decimals: no database, no rounding until the end.
"""

from dataclasses import dataclass
from decimal import Decimal, localcontext

from ifixit.money import to_cents


def monthly_rate(apr: Decimal) -> Decimal:
    """The monthly interest rate equivalent to an APR.

    A UK APR is an annual *effective* rate (Consumer Credit Act), so a month's rate is
    (1 + APR)^(1/12) - 1, not APR / 12; the two differ by a few pence a month.
    """
    with localcontext() as ctx:
        ctx.prec = 28
        return (1 + Decimal(apr) / 100) ** (Decimal(1) / 12) - 1


def monthly_payment(*, amount_financed: Decimal, apr: Decimal, term_months: int) -> Decimal:
    """The standard annuity instalment: P·r / (1 − (1 + r)^−n), or P / n at 0% APR."""
    principal = Decimal(amount_financed)
    if term_months <= 0:
        raise ValueError("The term must be at least one month.")
    with localcontext() as ctx:
        ctx.prec = 28
        rate = monthly_rate(apr)
        if rate == 0:
            return to_cents(principal / term_months)
        return to_cents(principal * rate / (1 - (1 + rate) ** -term_months))


@dataclass(frozen=True)
class Quote:
    """What the customer is shown before the application goes to the lender."""

    cash_price: Decimal
    deposit: Decimal
    part_exchange: Decimal
    amount_financed: Decimal
    apr: Decimal
    term_months: int
    monthly_payment: Decimal

    @property
    def total_repayable(self) -> Decimal:
        """Everything paid to the lender over the term."""
        return self.monthly_payment * self.term_months

    @property
    def total_payable(self) -> Decimal:
        """The cash price plus the charge for credit: deposit, part-exchange and instalments."""
        return self.deposit + self.part_exchange + self.total_repayable

    @property
    def charge_for_credit(self) -> Decimal:
        return self.total_repayable - self.amount_financed


def quote(*, cash_price, deposit, part_exchange, amount_financed, apr, term_months) -> Quote:
    return Quote(
        cash_price=Decimal(cash_price),
        deposit=Decimal(deposit),
        part_exchange=Decimal(part_exchange),
        amount_financed=Decimal(amount_financed),
        apr=Decimal(apr),
        term_months=term_months,
        monthly_payment=monthly_payment(amount_financed=amount_financed, apr=apr, term_months=term_months),
    )
