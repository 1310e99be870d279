"""Geometry of the NPS trend chart on the satisfaction page: plain inline SVG drawn
by the server (no chart library, nothing from a CDN). NPS runs from -100 to +100."""

from dataclasses import dataclass

from ifixit.crm.selectors import Score

WIDTH = 360
PLOT_TOP = 10
PLOT_HEIGHT = 120
LABEL_Y = PLOT_TOP + PLOT_HEIGHT + 16
HEIGHT = LABEL_Y + 6
MONTHS_SHOWN = 12


@dataclass(frozen=True)
class Point:
    score: Score
    x: float
    y: float


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    zero_y: float
    top_y: float
    bottom_y: float
    label_y: int
    points: list[Point]

    @property
    def has_data(self) -> bool:
        return bool(self.points)

    @property
    def path(self) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points))


def _y(nps: int) -> float:
    return PLOT_TOP + (100 - nps) / 200 * PLOT_HEIGHT


def nps_trend(months: list[Score]) -> TrendChart:
    shown = [m for m in months if m.nps is not None][-MONTHS_SHOWN:]
    step = WIDTH / max(len(shown), 1)
    points = [Point(score=m, x=step * i + step / 2, y=_y(m.nps)) for i, m in enumerate(shown)]
    return TrendChart(
        width=WIDTH, height=HEIGHT, zero_y=_y(0), top_y=_y(100), bottom_y=_y(-100), label_y=LABEL_Y, points=points
    )
