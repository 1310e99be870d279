"""Market forecasts per segment: the segment's monthly median price read from the rollups
(the same trend as the Market page), forecast for the next months and backtested by
`ml.forecast`, cached until the rollups change or a new month starts."""

from dataclasses import asdict, dataclass, replace
from datetime import date

import pandas as pd
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from ifixit.analytics.ml import forecast as ml
from ifixit.analytics.models import Rollup
from ifixit.analytics.warehouse import selectors

HORIZON = 6  # the page and the API offer one to six months
INTERVAL = 0.8
# Five years: enough for the season and the trend; older markets (before a price shock,
# a new model generation) would mostly teach the model what no longer holds.
HISTORY_MONTHS = 60


@dataclass(frozen=True)
class HistoryMonth:
    month: date
    median: float | None  # None: no sales that month
    volume: int


@dataclass(frozen=True)
class SegmentForecast:
    segment: selectors.Segment
    history: tuple[HistoryMonth, ...]  # complete months, oldest first
    forecast: ml.ForecastResult | None  # None when the history cannot carry one
    backtest: ml.Backtest | None
    reason: str  # why there is no forecast, or ""
    typical_volume: int  # the median of sales a month, over months with sales
    horizon: int
    last_month: date  # the last complete month: horizon 1 is the month after
    partial_start: date | None = None  # a thin first month left out (the history began part-way through it)

    @property
    def months(self) -> tuple[ml.ForecastMonth, ...]:
        return self.forecast.months if self.forecast else ()


def last_complete_month(today: date) -> date:
    """The month before this one: this month is still selling, its median not yet settled."""
    return today.replace(day=1) - relativedelta(months=1)


def segment_forecast(*, segment: selectors.Segment, horizon: int = HORIZON, today: date | None = None) -> SegmentForecast:
    """The segment's median price for the `horizon` months after the last complete month
    (this month first), with the backtest of the method on the segment's own history.

    Computed for the full HORIZON once per segment and month and cached with the market's
    other answers (keyed on the warehouse version), then cut to the horizon asked for.
    """
    if not 1 <= horizon <= HORIZON:
        raise ValueError(f"A forecast horizon is 1 to {HORIZON} months, not {horizon}.")
    last = last_complete_month(today or timezone.localdate())
    full = selectors._cached("market.forecast", {**asdict(segment), "last": last}, lambda: _compute(segment, last))
    if full.forecast is None:
        return replace(full, horizon=horizon)
    return replace(full, forecast=full.forecast.upto(horizon), backtest=full.backtest.upto(horizon), horizon=horizon)


def _compute(segment: selectors.Segment, last: date) -> SegmentForecast:
    first = last - relativedelta(months=HISTORY_MONTHS - 1)
    points = selectors.trend(segment=segment, grain=Rollup.Grain.MONTH, start=first, end=last).points
    by_month = {p.period: p for p in points}
    months = pd.period_range(first, last, freq="M")
    history = []
    for period in months:
        point = by_month.get(period.to_timestamp().date())
        history.append(HistoryMonth(month=period.to_timestamp().date(), volume=point.volume if point else 0,
                                    median=float(point.median) if point and point.median is not None else None))
    while history and history[0].median is None:  # the segment's history starts with its first sale
        history.pop(0)
    volumes = [h.volume for h in history if h.median is not None]
    typical = int(pd.Series(volumes).median()) if volumes else 0
    partial_start = None
    # A history usually begins part-way through a month (the import's or the feed's first
    # day): that month's median is a few days' sales, and one month that far off the
    # others widened every interval (the demo's first month sat 40 % under the next).
    if len(history) > 1 and history[0].volume * 2 < typical:
        partial_start = history.pop(0).month
    base = SegmentForecast(segment=segment, history=tuple(history), forecast=None, backtest=None, reason="",
                           typical_volume=typical, horizon=HORIZON, last_month=last, partial_start=partial_start)
    if not history:
        return replace(base, reason="No dated sales of this segment in the last five years.")
    series = pd.Series([h.median for h in history], index=months[-len(history):], dtype=float)
    # Below this many sales a month a month's median is mostly which cars happened to sell,
    # not the season (the Market page's rule): trend only, said so.
    seasonal = typical >= selectors.MIN_MONTHLY_SALES
    try:
        result = ml.forecast(series, HORIZON, INTERVAL, allow_seasonal=seasonal)
    except ml.NotEnoughHistory as refused:
        return replace(base, reason=refused.reason)
    if not seasonal and result.months_used - len(result.filled) >= ml.SEASONAL_MONTHS:
        result = replace(result, note=(
            f"Too few sales a month for a seasonal pattern (typically {typical}; needs {selectors.MIN_MONTHLY_SALES}): "
            "trend only. Widen the segment (fewer filters) to see the season."
        ))
    return replace(base, forecast=result, backtest=ml.backtest(series, HORIZON, interval=INTERVAL, allow_seasonal=seasonal))
