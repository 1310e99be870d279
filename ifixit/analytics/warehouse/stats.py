"""Price statistics that can be added up: a fixed price histogram per segment and period,
and the market trend read from those histograms.

The warehouse keeps, for every segment (make, model, bands, ...) and period, how many
cars sold and a histogram of their prices over the fixed buckets below. Histograms of
any set of segments or periods add up bucket by bucket (`merge`), so the median of
"all Golfs in the North in 2025" is read from the sum of the stored rows, never from
the facts again. A percentile read from a histogram is approximate; the bound is in
`percentile`'s docstring.

Pure functions over plain lists; no ORM here (a selector reads the rows, a service
stores the results).
"""

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

import numpy as np

LOWEST_EDGE = Decimal("250")
HIGHEST_EDGE = Decimal("500000")
EDGE_COUNT = 96


def _log_spaced_edges() -> tuple[Decimal, ...]:
    ratio = float(HIGHEST_EDGE / LOWEST_EDGE)
    inner = (
        Decimal(repr(float(LOWEST_EDGE) * ratio ** (i / (EDGE_COUNT - 1)))).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for i in range(1, EDGE_COUNT - 1)
    )
    return (LOWEST_EDGE, *inner, HIGHEST_EDGE)


# Stored histograms are counts over these buckets: changing an edge would silently
# re-bucket every histogram already in the warehouse, so the edges are pinned by a test.
# Bucket 0 holds prices below £250, bucket i (1..95) holds [BUCKET_EDGES[i-1], BUCKET_EDGES[i]),
# and bucket 96 holds £500,000 and over.
BUCKET_EDGES: tuple[Decimal, ...] = _log_spaced_edges()
BUCKET_COUNT = EDGE_COUNT + 1
# The widest bucket's upper edge over its lower edge (about 1.0834): the error bound of a percentile.
BUCKET_RATIO = max(high / low for low, high in zip(BUCKET_EDGES, BUCKET_EDGES[1:]))

_FLOAT_EDGES = np.array([float(edge) for edge in BUCKET_EDGES])
_PENNY = Decimal("0.01")


def bucket_of(price) -> int:
    """The bucket a price (Decimal, int, float or numeric string; positive) falls in."""
    value = float(price)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"A price must be a positive number, not {price!r}.")
    return bisect.bisect_right(_FLOAT_EDGES, value)


def histogram(prices: Iterable) -> list[int]:
    """Counts per bucket of the given prices (any iterable of positive numbers)."""
    values = np.fromiter((float(price) for price in prices), dtype=float)
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise ValueError(f"A price must be a positive number, not {values[bad][0]!r}.")
    # side="right" puts a price equal to an edge in the bucket that edge opens, as bucket_of does.
    return np.bincount(np.searchsorted(_FLOAT_EDGES, values, side="right"), minlength=BUCKET_COUNT).tolist()


def empty_histogram() -> list[int]:
    return [0] * BUCKET_COUNT


def merge(histograms: Iterable[Sequence[int]]) -> list[int]:
    """The bucket-by-bucket sum: the histogram of all the prices behind the given ones."""
    total = empty_histogram()
    for hist in histograms:
        _check(hist)
        for i, count in enumerate(hist):
            total[i] += count
    return total


def percentile(hist: Sequence[int], q) -> Decimal | None:
    """The q-th percentile (0 <= q <= 100) of the prices behind a histogram, to the penny;
    None for an empty histogram.

    Rank rule: the percentile is the price at cumulative count q% × N, reading the
    prices of a bucket as spread evenly over it in log space (prices are about
    log-normal and the buckets are log-spaced, so within a bucket that is the flatter
    reading; linear interpolation would bias every reading towards the bucket's top).
    A percentile that falls in an end bucket is reported as that bucket's inner edge
    (£250 for "£250 or less", £500,000 for "£500,000 or more").

    Error bound: the estimate lies in the same bucket as the sample's ⌈qN/100⌉-th
    smallest price (numpy's "inverted_cdf" percentile), so for a percentile inside
    £250–£500,000 the two differ by a factor of at most BUCKET_RATIO: under 8.4 % of the
    true value. With many prices per bucket the error is usually far smaller.
    """
    _check(hist)
    q = float(q)
    if not 0 <= q <= 100:
        raise ValueError(f"A percentile is between 0 and 100, not {q}.")
    total = sum(hist)
    if total == 0:
        return None
    target = q / 100 * total
    below = 0
    for i, count in enumerate(hist):
        if count and below + count >= target:
            break
        below += count
    if i == 0:
        return LOWEST_EDGE
    if i == BUCKET_COUNT - 1:
        return HIGHEST_EDGE
    # target == 0 (q = 0) lands on the first non-empty bucket with fraction 0: its lower edge.
    fraction = max(0.0, (target - below) / count)
    low, high = float(BUCKET_EDGES[i - 1]), float(BUCKET_EDGES[i])
    return _money(low * (high / low) ** fraction)


def median(hist: Sequence[int]) -> Decimal | None:
    return percentile(hist, 50)


def iqr(hist: Sequence[int]) -> Decimal | None:
    """The interquartile range, p75 − p25; None for an empty histogram."""
    q1, q3 = percentile(hist, 25), percentile(hist, 75)
    return None if q1 is None else q3 - q1


class Trimmed(NamedTuple):
    histogram: list[int]
    excluded: int


def trim_outliers(hist: Sequence[int]) -> Trimmed:
    """The histogram without the prices far from the segment's median, and how many those were.

    "Far from the median" is Tukey's rule read from the histogram itself: outside
    [Q1 − 1.5·IQR, Q3 + 1.5·IQR]. Only whole buckets go: a bucket is dropped when it lies
    wholly outside that range (its upper edge at or below the lower fence, or its lower
    edge above the upper fence); a bucket the fence cuts through is kept, so nothing
    plausible is lost to the bucketing. The end buckets count as [0, £250) and
    [£500,000, ∞). The input is not changed.
    """
    _check(hist)
    trimmed = list(hist)
    q1, q3 = percentile(hist, 25), percentile(hist, 75)
    if q1 is None:
        return Trimmed(trimmed, 0)
    spread = q3 - q1
    low_fence, high_fence = q1 - Decimal("1.5") * spread, q3 + Decimal("1.5") * spread
    excluded = 0
    for i, count in enumerate(hist):
        bucket_low = Decimal(0) if i == 0 else BUCKET_EDGES[i - 1]
        bucket_high = None if i == BUCKET_COUNT - 1 else BUCKET_EDGES[i]
        if count and ((bucket_high is not None and bucket_high <= low_fence) or bucket_low > high_fence):
            excluded += count
            trimmed[i] = 0
    return Trimmed(trimmed, excluded)


@dataclass(frozen=True)
class TrendPoint:
    """One period of a segment's price trend. Prices are read after trim_outliers;
    volume counts every sale, outliers included."""

    period: date
    volume: int
    median: Decimal | None
    p25: Decimal | None
    p75: Decimal | None
    excluded_outliers: int
    median_year_ago: Decimal | None  # None when the same period a year earlier has no sales
    yoy_change_pct: Decimal | None  # (median − median_year_ago) / median_year_ago × 100, to 0.1

    @property
    def spread(self) -> Decimal | None:
        return None if self.p25 is None else self.p75 - self.p25


def trend_points(rows: Iterable[tuple[date, int, Sequence[int]]], *, grain: str = "month") -> list[TrendPoint]:
    """A segment's trend, one point per period, oldest first.

    rows are (period_start, count, histogram). Rows of the same period are added up
    (counts and histograms), so the rows of several segments give their combined trend.
    The year-earlier period of a day or a month is the one starting on the same date a
    year before (29 February reads 28 February); of a week (grain "week", weeks starting
    on the same weekday) the week 52 weeks before, which starts on the same weekday.
    """
    if grain not in ("day", "week", "month"):
        raise ValueError(f"A trend's grain is day, week or month, not {grain!r}.")
    counts: dict[date, int] = {}
    hists: dict[date, list[int]] = {}
    for period, count, hist in rows:
        counts[period] = counts.get(period, 0) + count
        hists[period] = merge([hists.get(period, empty_histogram()), hist])

    medians: dict[date, Decimal | None] = {}
    points = []
    for period in sorted(hists):
        kept, excluded = trim_outliers(hists[period])
        medians[period] = median(kept)
        points.append((period, counts[period], kept, excluded))

    result = []
    for period, volume, kept, excluded in points:
        current = medians[period]
        year_ago = medians.get(period - timedelta(weeks=52) if grain == "week" else _year_before(period))
        change = None
        if current is not None and year_ago:
            change = ((current - year_ago) / year_ago * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
        result.append(
            TrendPoint(
                period=period,
                volume=volume,
                median=current,
                p25=percentile(kept, 25),
                p75=percentile(kept, 75),
                excluded_outliers=excluded,
                median_year_ago=year_ago,
                yoy_change_pct=change,
            )
        )
    return result


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _money(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(_PENNY, ROUND_HALF_UP)


def _check(hist: Sequence[int]) -> None:
    if len(hist) != BUCKET_COUNT:
        raise ValueError(f"A price histogram has {BUCKET_COUNT} buckets, not {len(hist)}.")
