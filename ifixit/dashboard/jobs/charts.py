"""Geometry of the job pages' charts, inline SVG drawn by the server: runs per hour (failures
stacked in red) and the queue's depth over the day."""

from dataclasses import dataclass

from ifixit.jobs.models import QueueSample
from ifixit.jobs.selectors import HourBar

WIDTH = 360
PLOT_TOP = 12
PLOT_HEIGHT = 100
LABEL_Y = PLOT_TOP + PLOT_HEIGHT + 14
HEIGHT = LABEL_Y + 4


@dataclass(frozen=True)
class Bar:
    hour: HourBar
    x: float
    width: float
    ok_y: float
    ok_height: float
    failed_y: float
    failed_height: float
    label: str


@dataclass(frozen=True)
class RunsChart:
    width: int
    height: int
    baseline_y: int
    label_y: int
    top: int
    bars: list[Bar]
    has_data: bool


def runs_chart(hours: list[HourBar]) -> RunsChart:
    top = max([h.succeeded + h.failed for h in hours] + [1])
    slot = WIDTH / max(len(hours), 1)
    baseline = PLOT_TOP + PLOT_HEIGHT
    bars = []
    for i, hour in enumerate(hours):
        failed = PLOT_HEIGHT * hour.failed / top
        ok = PLOT_HEIGHT * hour.succeeded / top
        bars.append(
            Bar(
                hour=hour,
                x=round(i * slot + 1, 2),
                width=round(max(slot - 2, 1), 2),
                ok_y=round(baseline - failed - ok, 2),
                ok_height=round(ok, 2),
                failed_y=round(baseline - failed, 2),
                failed_height=round(failed, 2),
                label=hour.start.strftime("%H") if i % 6 == 0 else "",
            )
        )
    return RunsChart(WIDTH, HEIGHT, baseline, LABEL_Y, top, bars, any(h.succeeded or h.failed for h in hours))


@dataclass(frozen=True)
class DepthChart:
    width: int
    height: int
    baseline_y: int
    top: int
    queued_path: str
    backlog_path: str
    first: QueueSample | None
    last: QueueSample | None


def depth_chart(samples: list[QueueSample]) -> DepthChart:
    baseline = PLOT_TOP + PLOT_HEIGHT
    top = max([s.queued or 0 for s in samples] + [s.outbox_backlog for s in samples] + [1])
    if len(samples) < 2:
        return DepthChart(WIDTH, HEIGHT, baseline, top, "", "", samples[0] if samples else None, samples[-1] if samples else None)
    start, end = samples[0].taken_at, samples[-1].taken_at
    span = max((end - start).total_seconds(), 1)

    def path(values) -> str:
        points = [
            f"{round(WIDTH * (s.taken_at - start).total_seconds() / span, 1)},{round(baseline - PLOT_HEIGHT * v / top, 1)}"
            for s, v in zip(samples, values, strict=True)
        ]
        return "M" + " L".join(points)

    return DepthChart(
        WIDTH, HEIGHT, baseline, top, path([s.queued or 0 for s in samples]), path([s.outbox_backlog for s in samples]), samples[0], samples[-1]
    )
