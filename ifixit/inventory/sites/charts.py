"""Geometry of the inline SVG bar chart on a location's page.

Drawn by the server as plain SVG (no chart library, nothing from a CDN): the numbers
are worked out here and the template only places the rectangles.
"""

from dataclasses import dataclass
from decimal import Decimal

from ifixit.inventory.sites.selectors import MonthOfSales

WIDTH = 360  # viewBox units; the SVG scales to its container's width
PLOT_TOP = 8
PLOT_HEIGHT = 112
LABEL_Y = PLOT_TOP + PLOT_HEIGHT + 16
HEIGHT = LABEL_Y + 6
BAR_GAP = 6


@dataclass(frozen=True)
class Bar:
    month: MonthOfSales
    x: float
    y: float
    width: float
    height: float
    label_x: float

    @property
    def negative(self) -> bool:
        return self.month.gross_profit < 0


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline_y: float
    label_y: int
    bars: list[Bar]
    has_data: bool


def gross_profit_chart(months: list[MonthOfSales]) -> BarChart:
    """One bar per month, height in proportion to gross profit; a loss-making month
    hangs below the baseline."""
    values = [m.gross_profit for m in months]
    top = max([Decimal("0"), *values])
    bottom = min([Decimal("0"), *values])
    span = (top - bottom) or Decimal("1")
    scale = Decimal(PLOT_HEIGHT) / span
    baseline_y = PLOT_TOP + float(top * scale)
    slot = WIDTH / max(len(months), 1)
    bars = []
    for i, month in enumerate(months):
        height = float(abs(month.gross_profit) * scale)
        y = baseline_y - height if month.gross_profit >= 0 else baseline_y
        bars.append(
            Bar(
                month=month,
                x=round(i * slot + BAR_GAP / 2, 2),
                y=round(y, 2),
                width=round(slot - BAR_GAP, 2),
                height=round(height, 2),
                label_x=round(i * slot + slot / 2, 2),
            )
        )
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        baseline_y=round(baseline_y, 2),
        label_y=LABEL_Y,
        bars=bars,
        has_data=any(m.sales for m in months),
    )
