"""Finance: how many sales were paid through a lender, by month and location, and how
each lender treated the applications sent to it.

Both reports are read from `finance.selectors.finance_figures`, the figures of the
finance page, so a report and the page never disagree. That selector takes one location
or all the user may see: the share report asks it once per chosen location (a handful of
grouped queries each, whatever the number of sales and applications).
"""

from decimal import ROUND_HALF_UP, Decimal

from ifixit.finance.selectors import FinanceFigures, finance_figures
from ifixit.money import to_cents
from ifixit.reports.catalogue import (
    DECIMAL,
    INT,
    LOCATIONS,
    MONEY,
    PERCENT,
    PERIOD,
    Chart,
    Column,
    Result,
    Scope,
    register,
)

PERMISSION = "finance.view_financeapplication"
ZERO = Decimal(0)


def _ratio(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / whole if whole else None


@register(
    key="finance_mix",
    title="Sales on finance",
    description="Each month's sales at each location, how many were paid through a lender, their share, "
    "and the revenue they brought.",
    category="Finance",
    accepts=(PERIOD, LOCATIONS),
    permission=PERMISSION,
    default_period="last_12_months",
)
def finance_mix_report(scope: Scope) -> Result:
    by_location = [
        (location, finance_figures(user=scope.user, start=scope.start, end=scope.end, location_id=location.pk))
        for location in scope.locations
    ]
    rows, chart_rows = [], []
    # Every location's figures list the same months, from the period's first to its last.
    for index, month in enumerate(by_location[0][1].months):
        sales = on_finance = 0
        for location, figures in by_location:
            share = figures.months[index]
            rows.append(
                {
                    "month": share.label,
                    "location": location.name,
                    "sales": share.sales,
                    "on_finance": share.on_finance,
                    "share": _ratio(share.on_finance, share.sales),
                    "with_part_exchange": share.with_part_exchange,
                    "revenue": to_cents(share.revenue),  # SQLite sums come back with float noise
                    "finance_revenue": to_cents(share.finance_revenue),
                }
            )
            sales += share.sales
            on_finance += share.on_finance
        chart_rows.append({"month": month.label, "share": _ratio(on_finance, sales)})
    result = Result(
        columns=[
            Column("month", "Month"),
            Column("location", "Location"),
            Column("sales", "Sales", INT, total=True),
            Column("on_finance", "On finance", INT, total=True),
            Column("share", "Share on finance", PERCENT),
            Column("with_part_exchange", "With a part-exchange", INT, total=True),
            Column("revenue", "Revenue", MONEY, total=True),
            Column("finance_revenue", "Revenue on finance", MONEY, total=True),
        ],
        rows=rows,
    )
    totals = result.totals
    if totals and totals["sales"]:
        result.extra_totals["share"] = _ratio(totals["on_finance"], totals["sales"])
        result.chart = Chart(title="Share of sales on finance", label_key="month", value_key="share", kind="line")
        result.chart_rows = chart_rows
    return result


@register(
    key="lender_performance",
    title="Lender performance",
    description="Each lender's applications in the period: submitted, approved, declined, approval rate, "
    "the median hours from submission to decision, and how many were funded and for how much.",
    category="Finance",
    accepts=(PERIOD, LOCATIONS),
    permission=PERMISSION,
)
def lender_performance_report(scope: Scope) -> Result:
    # One call over the chosen locations together: medians are of their applications, not of medians.
    parts = [finance_figures(user=scope.user, start=scope.start, end=scope.end, location_ids=scope.location_ids)]
    rows = _lender_rows(parts)
    result = Result(
        columns=[
            Column("lender", "Lender"),
            Column("submitted", "Submitted", INT, total=True),
            Column("approved", "Approved", INT, total=True),
            Column("declined", "Declined", INT, total=True),
            Column("approval_rate", "Approval rate", PERCENT),
            Column("median_decision_hours", "Median hours to decision", DECIMAL),
            Column("funded", "Funded", INT, total=True),
            Column("funded_amount", "Funded amount", MONEY, total=True),
        ],
        rows=rows,
    )
    totals = result.totals
    if totals and totals["approved"] + totals["declined"]:
        result.extra_totals["approval_rate"] = _ratio(totals["approved"], totals["approved"] + totals["declined"])
    if rows:
        result.chart = Chart(title="Approval rate by lender", label_key="lender", value_key="approval_rate")
    return result


def _lender_rows(parts: list[FinanceFigures]) -> list[dict]:
    by_lender: dict[int, dict] = {}
    for figures in parts:
        for row in figures.lenders:
            merged = by_lender.setdefault(
                row.lender.pk,
                {
                    "lender": row.lender.name,
                    "submitted": 0,
                    "approved": 0,
                    "declined": 0,
                    "funded": 0,
                    "funded_amount": ZERO,
                },
            )
            for key in ("submitted", "approved", "declined", "funded"):
                merged[key] += getattr(row, key)
            merged["funded_amount"] += row.funded_amount
            hours = row.median_decision_hours
            merged["median_decision_hours"] = (
                Decimal(hours).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
                if len(parts) == 1 and hours is not None
                else None
            )
    rows = sorted(by_lender.values(), key=lambda row: row["lender"].lower())
    for row in rows:
        row["funded_amount"] = to_cents(row["funded_amount"])
        row["approval_rate"] = _ratio(row["approved"], row["approved"] + row["declined"])
    return rows
