"""The on-screen chart of a report: horizontal bars, one per label, drawn as inline SVG
by the template (no chart library, nothing from a CDN). Horizontal, because labels
such as a make and model read on a phone where a column chart's would not."""

from dataclasses import dataclass
from decimal import Decimal

from ifixit.reports.catalogue import Result

MAX_BARS = 30
ROW_HEIGHT = 22
WIDTH = 360
LABEL_WIDTH = 120


@dataclass(frozen=True)
class Bar:
    label: str
    value: object
    y: int
    x: float
    width: float
    negative: bool


@dataclass(frozen=True)
class BarChart:
    title: str
    value_kind: str
    bars: list[Bar]
    width: int
    height: int
    zero_x: float
    truncated: int  # bars not drawn


def bar_chart(result: Result) -> BarChart | None:
    if result.chart is None:
        return None
    points = result.chart_points
    if not points:
        return None
    shown = points[:MAX_BARS]
    values = [Decimal(str(v or 0)) for _, v in shown]
    top, bottom = max([Decimal(0), *values]), min([Decimal(0), *values])
    span = (top - bottom) or Decimal(1)
    plot = WIDTH - LABEL_WIDTH - 8
    zero_x = LABEL_WIDTH + float((-bottom) / span) * plot
    bars = []
    for i, ((label, raw), value) in enumerate(zip(shown, values)):
        length = float(abs(value) / span) * plot
        bars.append(
            Bar(
                label=label[:22],
                value=raw,
                y=i * ROW_HEIGHT,
                x=round(zero_x - length if value < 0 else zero_x, 2),
                width=round(length, 2),
                negative=value < 0,
            )
        )
    kind = next((c.kind for c in result.columns if c.key == result.chart.value_key), "int")
    return BarChart(
        title=result.chart.title,
        value_kind=kind,
        bars=bars,
        width=WIDTH,
        height=len(bars) * ROW_HEIGHT + 4,
        zero_x=round(zero_x, 2),
        truncated=len(points) - len(shown),
    )
