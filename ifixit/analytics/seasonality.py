"""Seasonality: in which calendar months prices (or days to sell) run above or below
their trend, and so the best months to buy and to sell.

A monthly series is decomposed with STL (period 12, robust, so one odd month does not
bend the pattern) on the logarithm of the values. Working in logs makes the seasonal
effect multiplicative: March running 8 % above trend means 8 % of a £5,000 car's price
and of a £40,000 car's, and the effect keeps its size as the trend rises or falls.
A month's index is its average seasonal component over the years, centred so the
twelve average out, and read back as a percentage: (exp(s) − 1) × 100 above (+) or
below (−) the trend.

Pure functions over pandas Series and DataFrames; no ORM here (a selector builds the
frame, a service stores the result).
"""

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from statsmodels.tsa.seasonal import STL

PERIOD = 12
# Missing months inside the series are interpolated (in log space) up to this many in a
# row; a longer hole would be made up rather than measured.
MAX_GAP_MONTHS = 2


@dataclass(frozen=True)
class MonthIndex:
    month: int  # 1 = January
    index_pct: float  # % above (+) or below (−) the trend in this calendar month
    years: int  # how many years had a real (not interpolated) value for this month
    observations: int | None  # sales behind those values, when the counts were given


@dataclass(frozen=True)
class SeasonalProfile:
    months: tuple[MonthIndex, ...]  # January to December
    first_month: date
    last_month: date
    months_used: int  # length of the decomposed series, interpolated months included
    interpolated: tuple[date, ...]  # months that had no value and were filled in
    observations: int | None  # total sales behind the series, when the counts were given

    def index(self, month: int) -> float:
        return self.months[month - 1].index_pct


@dataclass(frozen=True)
class NotEnoughHistory:
    reason: str
    months_available: int  # months with a value
    months_needed: int


@dataclass(frozen=True)
class MarketSeasonality:
    """What `profile_from_facts` finds for one set of sales."""

    price: SeasonalProfile | NotEnoughHistory
    days_to_sell: SeasonalProfile | NotEnoughHistory | None  # None when the frame has no days_to_sell
    best_month_to_buy: int | None  # None without a price profile
    best_month_to_sell: int | None


def seasonal_profile(
    series: pd.Series, min_years: int = 2, *, observations: pd.Series | None = None
) -> SeasonalProfile | NotEnoughHistory:
    """The seasonal index per calendar month of a monthly series of positive values
    (a segment's median price or median days to sell), indexed by month (any day of the
    month, dates, timestamps or periods; missing values are missing months).

    observations, optional, is the number of sales behind each month's value, on the same
    index; it only feeds the sample sizes reported.

    The series runs from its first to its last month with a value. Holes of up to
    MAX_GAP_MONTHS months are interpolated; a longer hole, or fewer than min_years × 12
    months from start to end, gives NotEnoughHistory saying why.
    """
    if min_years < 2:
        raise ValueError("STL needs at least two years to tell a season from a trend.")
    values = _monthly(series).dropna()
    needed = min_years * PERIOD
    if (values <= 0).any():
        raise ValueError("A multiplicative seasonal index needs positive values.")
    if values.empty:
        return NotEnoughHistory("No months with data.", 0, needed)

    full_range = pd.date_range(values.index[0], values.index[-1], freq="MS")
    complete = values.reindex(full_range)
    missing = complete.isna()
    longest_gap, gap_start = _longest_run(missing)
    if longest_gap > MAX_GAP_MONTHS:
        gap_end = gap_start + pd.DateOffset(months=longest_gap - 1)
        return NotEnoughHistory(
            f"{longest_gap} months in a row without data ({gap_start:%b %Y} to {gap_end:%b %Y}); "
            f"at most {MAX_GAP_MONTHS} can be filled in.",
            len(values),
            needed,
        )
    if len(full_range) < needed:
        return NotEnoughHistory(
            f"{len(full_range)} months of history; seasonality needs {min_years} years ({needed} months).",
            len(values),
            needed,
        )

    logs = np.log(complete).interpolate(method="linear")
    seasonal = STL(logs, period=PERIOD, robust=True).fit().seasonal
    by_month = seasonal.groupby(seasonal.index.month).mean()
    by_month -= by_month.mean()

    real = ~missing
    years = real.groupby(real.index.month).sum()
    counts = None
    if observations is not None:
        counts = _monthly(observations).reindex(full_range).fillna(0).astype(int)
    months = tuple(
        MonthIndex(
            month=month,
            index_pct=(math.exp(by_month[month]) - 1) * 100,
            years=int(years[month]),
            observations=None if counts is None else int(counts[counts.index.month == month].sum()),
        )
        for month in range(1, 13)
    )
    return SeasonalProfile(
        months=months,
        first_month=full_range[0].date(),
        last_month=full_range[-1].date(),
        months_used=len(full_range),
        interpolated=tuple(day.date() for day in full_range[missing.to_numpy()]),
        observations=None if counts is None else int(counts.sum()),
    )


def best_month_to_buy(price: SeasonalProfile) -> int:
    """The month whose prices run lowest against the trend (the earliest on a tie)."""
    return min(price.months, key=lambda m: (m.index_pct, m.month)).month


def best_month_to_sell(price: SeasonalProfile, days_to_sell: SeasonalProfile | None = None) -> int:
    """The month whose prices run highest against the trend; with a days-to-sell profile,
    the month with the highest price index minus days-to-sell index.

    Both indices are % departures from their trends, so the combined rule counts a
    price 1 % above trend as worth as much as selling 1 % quicker than the trend: March
    at +8 % on price and +3 % on days (score 5) loses to April at +5 % and −4 % (score 9).
    There is no cost model here to weigh them otherwise. Ties go to the higher price index,
    then the earlier month.
    """

    def score(month: MonthIndex) -> tuple[float, float, int]:
        days = 0.0 if days_to_sell is None else days_to_sell.index(month.month)
        return (month.index_pct - days, month.index_pct, -month.month)

    return max(price.months, key=score).month


def profile_from_facts(frame: pd.DataFrame, min_years: int = 2) -> MarketSeasonality:
    """Seasonality of a set of sales: columns sale_date and price, and optionally
    days_to_sell. Each month's value is the median of its sales; rows without a sale
    date are left out, as are rows without days to sell from the days-to-sell series.
    A car sold the day it was bought counts as one day, since a multiplicative index
    cannot read a month of zeros.
    """
    dated = frame[frame["sale_date"].notna()]
    months = pd.to_datetime(dated["sale_date"]).dt.to_period("M").dt.to_timestamp()

    prices = dated["price"].astype(float)
    price = _profile_of_medians(prices, months, min_years)

    days = None
    if "days_to_sell" in frame.columns:
        raw_days = pd.to_numeric(dated["days_to_sell"], errors="coerce")
        known = raw_days.notna()
        days = _profile_of_medians(raw_days[known].clip(lower=1), months[known], min_years)

    if not isinstance(price, SeasonalProfile):
        return MarketSeasonality(price, days, None, None)
    days_profile = days if isinstance(days, SeasonalProfile) else None
    return MarketSeasonality(price, days, best_month_to_buy(price), best_month_to_sell(price, days_profile))


def _profile_of_medians(values: pd.Series, months: pd.Series, min_years: int) -> SeasonalProfile | NotEnoughHistory:
    grouped = values.groupby(months)
    return seasonal_profile(grouped.median(), min_years, observations=grouped.size())


def _monthly(series: pd.Series) -> pd.Series:
    """The series on month-start timestamps, sorted; one value per month."""
    index = series.index
    if isinstance(index, pd.PeriodIndex):
        months = index.asfreq("M").to_timestamp()
    else:
        months = pd.DatetimeIndex(pd.to_datetime(index)).to_period("M").to_timestamp()
    monthly = pd.Series(pd.to_numeric(series.to_numpy(dtype=float)), index=months).sort_index()
    if monthly.index.has_duplicates:
        raise ValueError("A monthly series has one value per month.")
    return monthly


def _longest_run(flags: pd.Series) -> tuple[int, pd.Timestamp | None]:
    """The longest run of True values and where it starts."""
    longest, start, run, run_start = 0, None, 0, None
    for when, flag in flags.items():
        if flag:
            run_start = when if run == 0 else run_start
            run += 1
            if run > longest:
                longest, start = run, run_start
        else:
            run = 0
    return longest, start
