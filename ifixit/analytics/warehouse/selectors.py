"""Reads of the warehouse: trends and seasonality of any segment, from the rollups (never
the facts), cached until the rollups change."""

from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta

import pandas as pd
from django.db.models import Sum

from ifixit import caching
from ifixit.analytics import seasonality
from ifixit.analytics.models import FULL, LEVELS, Rollup, SaleFact
from ifixit.analytics.warehouse import services as warehouse
from ifixit.analytics.warehouse import stats


@dataclass(frozen=True)
class Segment:
    """A slice of the market; an empty field means any."""

    make: str = ""
    model: str = ""
    body_type: str = ""
    age_band: str = ""
    mileage_band: str = ""
    source: str = ""
    region: str = ""

    def filters(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def describe(self) -> str:
        parts = [self.make, self.model, self.body_type, self.age_band and f"{self.age_band} years old",
                 self.mileage_band and f"{self.mileage_band} miles", self.source, self.region]
        return " · ".join(p for p in parts if p) or "The whole market"


def _cached(name: str, key: dict, compute):
    """The answer of caching.READS[name] to this question, under the warehouse's version."""
    return caching.READS[name].get_or_compute(compute, warehouse=warehouse.warehouse_version(), **key)


def level_for(segment: Segment) -> str:
    """The ready-made slice that answers exactly these filters, else the full segments."""
    asked = tuple(sorted(segment.filters()))
    return next((name for name, dims in LEVELS.items() if tuple(sorted(dims)) == asked), FULL)


def _rollup_rows(segment: Segment, grain: str, start: date | None, end: date | None):
    """Per period: (period_start, count, merged histogram, days_count, days_sum), one query,
    the histograms summed with numpy."""
    rows = Rollup.objects.filter(grain=grain, level=level_for(segment), **segment.filters())
    if start:
        rows = rows.filter(period_start__gte=start)
    if end:
        rows = rows.filter(period_start__lte=end)
    merged: dict[date, list] = {}
    for period, count, blob, days_count, days_sum in rows.values_list("period_start", "count", "histogram", "days_count", "days_sum"):
        entry = merged.get(period)
        hist = warehouse.unpack(blob)
        if entry is None:
            merged[period] = [count, hist.astype("int64"), days_count, days_sum]
        else:
            entry[0] += count
            entry[1] += hist
            entry[2] += days_count
            entry[3] += days_sum
    return [(period, e[0], e[1].tolist(), e[2], e[3]) for period, e in sorted(merged.items())]


@dataclass(frozen=True)
class Trend:
    segment: Segment
    grain: str
    points: list[stats.TrendPoint]

    @property
    def volume(self) -> int:
        return sum(p.volume for p in self.points)

    @property
    def excluded(self) -> int:
        return sum(p.excluded_outliers for p in self.points)


def trend(*, segment: Segment, grain: str = Rollup.Grain.MONTH, start: date | None = None, end: date | None = None) -> Trend:
    """Price over time for a segment: volume, median and spread per period, outliers
    excluded (and counted), against the same period a year earlier. One query."""

    def compute():
        # A year before the start too, so the first points have their year-earlier figures.
        since = start.replace(year=start.year - 1) if start and not (start.month == 2 and start.day == 29) else (start and start - timedelta(days=366))
        rows = [(period, count, hist) for period, count, hist, _, _ in _rollup_rows(segment, grain, since, end)]
        points = [p for p in stats.trend_points(rows, grain=grain) if start is None or p.period >= start]
        return Trend(segment=segment, grain=grain, points=points)

    return _cached("market.trend", {**asdict(segment), "grain": grain, "start": start, "end": end}, compute)


@dataclass(frozen=True)
class Seasonality:
    segment: Segment
    market: seasonality.SeasonalProfile | seasonality.NotEnoughHistory
    market_days: seasonality.SeasonalProfile | seasonality.NotEnoughHistory | None
    own: seasonality.SeasonalProfile | seasonality.NotEnoughHistory
    best_month_to_buy: int | None
    best_month_to_sell: int | None
    sample_size: int


def _monthly_series(rows) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Monthly median price (from the merged histograms) and its sales; mean days to sell
    and the sales it is known for."""
    index = pd.to_datetime([period for period, *_ in rows])
    medians = pd.Series([float(stats.median(hist) or 0) for _, _, hist, _, _ in rows], index=index, dtype=float)
    counts = pd.Series([count for _, count, *_ in rows], index=index)
    days = pd.Series([d_sum / d_count if d_count else float("nan") for *_, d_count, d_sum in rows], index=index, dtype=float)
    day_counts = pd.Series([d_count for *_, d_count, _ in rows], index=index)
    known = day_counts > 0
    return medians[medians > 0], counts, days[known], day_counts[known]


def seasonality_of(*, segment: Segment) -> Seasonality:
    """The market's seasonal index per month for a segment (price and, where known, days to
    sell), and the group's own sales of the same segment beside it. Each needs
    MIN_MONTHLY_SALES in a typical month. Days to sell are known only for the group's own
    sales (the only ones with a purchase date), so they are its pattern, whatever the
    source chosen: market_days is None when no sale of the segment has them."""

    def compute():
        medians, counts, days, day_counts = _monthly_series(list(_rollup_rows(segment, Rollup.Grain.MONTH, None, None)))
        market = _profile_or_why(medians, counts, "No sales of this segment yet.")
        market_days = None
        if len(days):
            market_days = _profile_or_why(
                days.clip(lower=1), day_counts, "", sales="sales with a known time to sell",
                widen="Days to sell are known for the group's own sales only (imports and auctions have no purchase date).",
            )  # a car sold the day it was bought counts as a day: a ratio cannot read 0
        own_segment = Segment(**{**asdict(segment), "source": warehouse.OWN_SOURCE})
        own_medians, own_counts, _, _ = _monthly_series(list(_rollup_rows(own_segment, Rollup.Grain.MONTH, None, None)))
        own = _profile_or_why(own_medians, own_counts, "The group has not sold this segment yet.")
        profile = market if isinstance(market, seasonality.SeasonalProfile) else None
        days_profile = market_days if isinstance(market_days, seasonality.SeasonalProfile) else None
        return Seasonality(
            segment=segment, market=market, market_days=market_days, own=own,
            best_month_to_buy=seasonality.best_month_to_buy(profile) if profile else None,
            best_month_to_sell=seasonality.best_month_to_sell(profile, days_profile) if profile else None,
            sample_size=int(counts.sum()) if len(counts) else 0,
        )

    return _cached("market.seasonality", asdict(segment), compute)


# Below this many sales in a typical month, a month's median is mostly which cars happened
# to sell (their ages, mileages), not the season: no pattern is claimed.
MIN_MONTHLY_SALES = 20


def _profile_or_why(
    values: pd.Series, counts: pd.Series, empty: str, *, sales: str = "sales",
    widen: str = "Widen the segment (fewer filters) or import more history.",
):
    """The seasonal profile of monthly values, or why there is none: no values, or fewer
    than MIN_MONTHLY_SALES behind a typical month (`counts`: the sales behind each)."""
    if not len(values):
        return _none(empty)
    typical = int(counts.median())
    if typical < MIN_MONTHLY_SALES:
        return seasonality.NotEnoughHistory(
            reason=f"Too few {sales} a month for a seasonal pattern (typically {typical}; needs {MIN_MONTHLY_SALES}). {widen}",
            months_available=len(values), months_needed=24,
        )
    return seasonality.seasonal_profile(values, observations=counts)


def _none(reason: str) -> seasonality.NotEnoughHistory:
    return seasonality.NotEnoughHistory(reason=reason, months_available=0, months_needed=24)


def segment_choices() -> dict[str, list[str]]:
    """What the segment filters can be set to (distinct values in the rollups), cached."""

    def compute():
        months = Rollup.objects.filter(grain=Rollup.Grain.MONTH, level=FULL)
        return {
            name: sorted(v for v in months.values_list(name, flat=True).distinct() if v)
            for name in ("make", "body_type", "age_band", "mileage_band", "source", "region")
        }

    return _cached("market.segment-choices", {}, compute)


def models_of(make: str) -> list[str]:
    months = Rollup.objects.filter(grain=Rollup.Grain.MONTH, level="make+model", make=make)
    return sorted(v for v in months.values_list("model", flat=True).distinct() if v)


def warehouse_size() -> dict:
    """How many facts the warehouse holds (all, and dated): counted once per rollup version."""

    def compute():
        return {
            "facts": SaleFact.objects.count(),
            "dated": Rollup.objects.filter(grain=Rollup.Grain.MONTH, level="market").aggregate(n=Sum("count"))["n"] or 0,
        }

    return _cached("market.warehouse-size", {}, compute)
