"""Geometry of the finance share chart: per month, a bar for all sales with the part
sold on finance filled in. Plain inline SVG drawn by the server, nothing from a CDN."""

from dataclasses import dataclass

from ifixit.finance.selectors import FinanceShare

WIDTH = 360
PLOT_TOP = 14
PLOT_HEIGHT = 110
LABEL_Y = PLOT_TOP + PLOT_HEIGHT + 16
HEIGHT = LABEL_Y + 6
BAR_GAP = 6


@dataclass(frozen=True)
class ShareBar:
    month: FinanceShare
    x: float
    width: float
    total_y: float
    total_height: float
    finance_y: float
    finance_height: float
    label_x: float


@dataclass(frozen=True)
class ShareChart:
    width: int
    height: int
    baseline_y: int
    label_y: int
    bars: list[ShareBar]
    has_data: bool


def finance_share_chart(months: list[FinanceShare]) -> ShareChart:
    top = max([m.sales for m in months] + [1])
    slot = WIDTH / max(len(months), 1)
    gap = min(BAR_GAP, slot / 4)  # five years of months still leave every bar a width
    baseline = PLOT_TOP + PLOT_HEIGHT
    bars = []
    for i, month in enumerate(months):
        total = PLOT_HEIGHT * month.sales / top
        financed = PLOT_HEIGHT * month.on_finance / top
        bars.append(
            ShareBar(
                month=month,
                x=round(i * slot + gap / 2, 2),
                width=round(slot - gap, 2),
                total_y=round(baseline - total, 2),
                total_height=round(total, 2),
                finance_y=round(baseline - financed, 2),
                finance_height=round(financed, 2),
                label_x=round(i * slot + slot / 2, 2),
            )
        )
    return ShareChart(
        width=WIDTH, height=HEIGHT, baseline_y=baseline, label_y=LABEL_Y, bars=bars, has_data=any(m.sales for m in months)
    )
