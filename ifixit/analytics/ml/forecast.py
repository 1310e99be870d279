"""Forecasts of a segment's monthly median price for the next one to six months, with an
interval, and a rolling-origin backtest against the seasonal naive forecast.

Method
------
Prices are modelled in logs: a trend or a season then moves prices by a share (3 % a
year, 4 % in March) whatever the price level, and the interval comes out asymmetric in
pounds, as prices are (a car can gain more than it can lose).

- With at least SEASONAL_MONTHS months of history: exponential smoothing with an additive
  trend and an additive 12-month season on the logs, ETS(A,A,A), and the same with a
  damped trend, ETS(A,Ad,A); the one with the lower AICc is kept. Damping protects
  against carrying a trend that is levelling off; when the trend is steady the undamped
  model fits better and AICc picks it. ETS was preferred to STL followed by ETS
  (STLForecast) because on 24 to 48 months STL puts part of the noise into the season
  it carries forward (about twice the error of ETS in trials on seasonal series with
  known answers) and its intervals, which leave the season's uncertainty out, covered
  under half of what they claimed.
- With MIN_MONTHS up to SEASONAL_MONTHS months: ETS(A,Ad,N), damped trend, no season.
  Under two years a season cannot be told from a trend, so none is modelled and the
  trend is damped rather than extrapolated at full strength; the result says so
  (`seasonal` False, `note`).
- Under MIN_MONTHS months: NotEnoughHistory, with the reason.

Point forecast: exp of the forecast log, i.e. the median of the forecast distribution,
which is what a median-price series is.

Intervals: the model's own prediction variance (statsmodels' exact formula for these
additive-error models), widened for the degrees of freedom the fit used. The maximum
likelihood variance divides the squared residuals by n, which with 19 fitted values
(smoothing weights, the damping, the initial level, trend and twelve season states) on
36 months understates the spread by about a third; it is multiplied by n / (n − k)
and read with Student's t on n − k degrees of freedom. In trials on series with known
answers the corrected 80 % interval covered 78–80 % of outcomes against 40–70 %
uncorrected. Empirical quantiles of backtest errors were not used: a backtest has one
error per origin and horizon (six to twelve), too few to place a 10th and a 90th
percentile; the backtest's coverage instead reports whether the interval keeps its
promise on this segment's own history.

Gaps (months without sales): a hole of up to MAX_GAP_MONTHS months is interpolated in
logs; before a longer hole the history is ignored (the market before it is not the one
after). Missing months at the end (no sales lately) are forecast over, not filled, when
at most MAX_GAP_MONTHS; a longer silence refuses the forecast.

Pure functions over pandas Series; no ORM here (forecast/selectors.py reads the series).
"""

import math
import warnings
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from threadpoolctl import threadpool_limits

from ifixit.analytics.seasonality import MAX_GAP_MONTHS

PERIOD = 12
MIN_MONTHS = 12
SEASONAL_MONTHS = 24  # two full years: the least STL or ETS can tell a season from a trend with
MAX_HORIZON = 12
DEFAULT_ORIGINS = 12

SEASONAL, TREND_ONLY = "ets_seasonal", "ets_trend"
METHODS = {
    SEASONAL: "Exponential smoothing with trend and 12-month season (ETS on log prices)",
    TREND_ONLY: "Exponential smoothing with a damped trend, no season (ETS on log prices)",
}


class NotEnoughHistory(ValueError):
    """The series cannot carry a forecast; `reason` says why in words for the page."""

    def __init__(self, reason: str, *, months_available: int, months_needed: int = MIN_MONTHS):
        super().__init__(reason)
        self.reason = reason
        self.months_available = months_available
        self.months_needed = months_needed


@dataclass(frozen=True)
class ForecastMonth:
    month: date  # the first day of the month
    horizon: int  # 1 = the month after the history's last
    mid: float
    low: float
    high: float


@dataclass(frozen=True)
class ForecastResult:
    months: tuple[ForecastMonth, ...]
    method: str  # SEASONAL or TREND_ONLY
    damped: bool
    seasonal: bool
    note: str  # why there is no season, or ""
    interval: float  # 0.8: an 80 % interval
    first_month: date  # the history used
    last_month: date  # the history's last month (the month before horizon 1)
    months_used: int  # months the model was fitted on, filled months included
    filled: tuple[date, ...]  # months without sales, interpolated
    ignored_before: date | None  # history before a long gap, left out

    @property
    def method_label(self) -> str:
        return METHODS[self.method] + (", damped trend" if self.damped and self.method == SEASONAL else "")

    def upto(self, horizon: int) -> "ForecastResult":
        return replace(self, months=self.months[:horizon])


@dataclass(frozen=True)
class HorizonScore:
    horizon: int
    forecasts: int  # origins whose actual for this horizon was known
    model_mape: float | None  # mean absolute percentage error, as a fraction (0.03 = 3 %)
    naive_mape: float | None
    model_mae: float | None  # in currency
    naive_mae: float | None
    coverage: float | None  # share of actuals inside the model's interval

    @property
    def model_better(self) -> bool | None:
        return None if self.model_mape is None else self.model_mape < self.naive_mape


@dataclass(frozen=True)
class Backtest:
    horizons: tuple[HorizonScore, ...]
    origins: int  # forecasts made from past months
    first_origin: date | None  # the last month of history at the first and last origin
    last_origin: date | None
    methods: tuple[str, ...]  # the methods the origins used
    interval: float
    model_mape: float | None  # over every scored forecast
    naive_mape: float | None
    coverage: float | None

    @property
    def scored(self) -> int:
        return sum(h.forecasts for h in self.horizons)

    @property
    def horizons_won(self) -> int:
        return sum(1 for h in self.horizons if h.model_better)

    @property
    def beats_naive(self) -> bool | None:
        return None if self.model_mape is None else self.model_mape < self.naive_mape

    def upto(self, horizon: int) -> "Backtest":
        """The scores of the first `horizon` horizons, the overall figures over those only."""
        kept = self.horizons[:horizon]
        # Pooled means, weighted by each horizon's count, as the overall figures were.
        total = sum(h.forecasts for h in kept)

        def pooled(name):
            if not total:
                return None
            return sum(getattr(h, name) * h.forecasts for h in kept if h.forecasts) / total

        return replace(self, horizons=kept, model_mape=pooled("model_mape"), naive_mape=pooled("naive_mape"),
                       coverage=pooled("coverage"))


@dataclass(frozen=True)
class _Prepared:
    logs: pd.Series  # log values, PeriodIndex, short holes filled, up to the last month with a value
    filled: tuple[date, ...]
    ignored_before: date | None
    stale: int  # months without sales at the end of the series
    observed: int  # months with a value in `logs`


def forecast(series: pd.Series, horizon: int = 6, interval: float = 0.8, *, allow_seasonal: bool = True) -> ForecastResult:
    """The next `horizon` months after the series' last month (its index's end, sold or not).

    series: positive monthly values (a segment's median price), on a monthly PeriodIndex
    or month-start timestamps; missing months may be absent or NaN. allow_seasonal=False
    asks for the trend-only model whatever the length (the caller knows the season cannot
    be read, e.g. too few sales a month).
    """
    _check_horizon(horizon)
    if not 0 < interval < 1:
        raise ValueError(f"An interval is a probability between 0 and 1, not {interval}.")
    prepared = _prepare(series)
    if prepared.observed < MIN_MONTHS:
        raise NotEnoughHistory(
            f"{prepared.observed} months with sales{_since(prepared)}; a forecast needs at least {MIN_MONTHS}.",
            months_available=prepared.observed,
        )
    seasonal = allow_seasonal and prepared.observed >= SEASONAL_MONTHS
    note = ""
    if prepared.observed < SEASONAL_MONTHS:
        note = (f"Not enough history for seasonality: {prepared.observed} months with sales{_since(prepared)}, "
                f"a seasonal pattern needs {SEASONAL_MONTHS}. Trend only.")
    elif not seasonal:
        note = "Seasonality not modelled. Trend only."
    fitted = _fit(prepared.logs, seasonal=seasonal)
    steps = prepared.stale + horizon
    n = len(prepared.logs)
    prediction = fitted.get_prediction(start=n, end=n + steps - 1)
    mean = np.asarray(prediction.predicted_mean, dtype=float)[prepared.stale:]
    variance = np.asarray(prediction.forecast_variance, dtype=float)[prepared.stale:]
    free = max(int(fitted.nobs - fitted.df_model), 1)
    spread = np.sqrt(np.maximum(variance, 0) * fitted.nobs / free) * stats.t.ppf(0.5 + interval / 2, free)
    last = prepared.logs.index[-1] + prepared.stale
    months = tuple(
        ForecastMonth(month=(last + h).to_timestamp().date(), horizon=h, mid=math.exp(mean[h - 1]),
                      low=math.exp(mean[h - 1] - spread[h - 1]), high=math.exp(mean[h - 1] + spread[h - 1]))
        for h in range(1, horizon + 1)
    )
    return ForecastResult(
        months=months, method=SEASONAL if seasonal else TREND_ONLY, damped=bool(fitted.model.damped_trend),
        seasonal=seasonal, note=note, interval=interval,
        first_month=prepared.logs.index[0].to_timestamp().date(), last_month=last.to_timestamp().date(),
        months_used=n, filled=prepared.filled, ignored_before=prepared.ignored_before,
    )


def seasonal_naive(series: pd.Series, horizon: int = 6) -> pd.Series:
    """Each of the next `horizon` months forecast as the same calendar month a year before
    (two years before for horizons 13 to 24, and so on). Short holes are filled as for the
    model, so both forecasts see the same history; a month that falls in a long hole or
    before the series is NaN. Indexed by the forecast months (PeriodIndex)."""
    _check_horizon(horizon)
    monthly = _monthly(series)
    if monthly.dropna().empty:
        raise NotEnoughHistory("No months with sales.", months_available=0, months_needed=PERIOD)
    full = monthly.loc[monthly.dropna().index[0]:]
    # Observed months kept as they are (not through exp(log(x))): the naive forecast is the value itself.
    filled = full.where(full.notna(), np.exp(_fill_short_holes(np.log(full))))
    last = full.index[-1]
    future = pd.period_range(last + 1, periods=horizon, freq="M")
    years_back = [PERIOD * math.ceil(h / PERIOD) for h in range(1, horizon + 1)]
    return pd.Series([filled.get(month - back, np.nan) for month, back in zip(future, years_back)], index=future, dtype=float)


def backtest(series: pd.Series, horizon: int = 6, origins: int = DEFAULT_ORIGINS, interval: float = 0.8, *,
             allow_seasonal: bool = True) -> Backtest:
    """Rolling-origin evaluation: from each of the last `origins` months that have at least
    MIN_MONTHS months before them, forecast the next `horizon` months from the history up
    to that month with both `forecast` (as it would have run then, its method chosen by
    the history it had) and `seasonal_naive`, and score both against the months that
    followed, on price (not log) scale. A forecast is scored only where the month has a
    real value (an interpolated one is not an outcome) and both forecasts exist, so the
    two are always compared on the same months. Origins that refuse (too little history
    after a gap) are skipped."""
    _check_horizon(horizon)
    monthly = _monthly(series)
    values = monthly.dropna()
    if values.empty:
        return _empty_backtest(horizon, interval)
    full = monthly.reindex(pd.period_range(values.index[0], monthly.index[-1], freq="M"))
    n = len(full)
    first = max(MIN_MONTHS, n - origins)
    errors = {h: [] for h in range(1, horizon + 1)}  # (model abs error, naive abs error, actual, inside)
    methods, used = set(), []
    for t in range(first, n):
        history = full.iloc[:t]
        try:
            model = forecast(history, horizon, interval, allow_seasonal=allow_seasonal)
            naive = seasonal_naive(history, horizon)
        except NotEnoughHistory:
            continue
        methods.add(model.method)
        used.append(history.index[-1])
        for month in model.months:
            when = pd.Period(month.month, freq="M")
            actual = full.get(when, np.nan)
            guess = naive.get(when, np.nan)
            if np.isnan(actual) or np.isnan(guess):
                continue
            errors[month.horizon].append((abs(month.mid - actual), abs(guess - actual), actual, month.low <= actual <= month.high))
    scores = tuple(_score(h, rows) for h, rows in errors.items())
    everything = [row for rows in errors.values() for row in rows]
    overall = _score(0, everything)
    return Backtest(
        horizons=scores, origins=len(used),
        first_origin=used[0].to_timestamp().date() if used else None,
        last_origin=used[-1].to_timestamp().date() if used else None,
        methods=tuple(sorted(methods)), interval=interval,
        model_mape=overall.model_mape, naive_mape=overall.naive_mape, coverage=overall.coverage,
    )


def _score(horizon: int, rows: list) -> HorizonScore:
    if not rows:
        return HorizonScore(horizon, 0, None, None, None, None, None)
    model, naive, actual, inside = (np.array(column, dtype=float) for column in zip(*rows))
    return HorizonScore(
        horizon=horizon, forecasts=len(rows),
        model_mape=float((model / actual).mean()), naive_mape=float((naive / actual).mean()),
        model_mae=float(model.mean()), naive_mae=float(naive.mean()), coverage=float(inside.mean()),
    )


def _empty_backtest(horizon: int, interval: float) -> Backtest:
    return Backtest(tuple(_score(h, []) for h in range(1, horizon + 1)), 0, None, None, (), interval, None, None, None)


def _fit(logs: pd.Series, *, seasonal: bool):
    # The optimiser often stops at a bound (a smoothing weight near 0 for a steady season)
    # and says so; the fit is still the best inside the bounds, so the warning is noise here.
    # One BLAS thread: the optimiser's matrices are 18 × 18, and on a busy machine threads
    # fighting over them made each fit 5 to 10 times slower.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        if not seasonal:
            return ETSModel(logs, error="add", trend="add", damped_trend=True).fit(disp=False)
        candidates = [
            ETSModel(logs, error="add", trend="add", damped_trend=damped, seasonal="add", seasonal_periods=PERIOD).fit(disp=False)
            for damped in (False, True)
        ]
    return min(candidates, key=lambda fitted: fitted.aicc if np.isfinite(fitted.aicc) else np.inf)


def _prepare(series: pd.Series) -> _Prepared:
    monthly = _monthly(series)
    values = monthly.dropna()
    if values.empty:
        raise NotEnoughHistory("No months with sales.", months_available=0)
    stale = len(monthly.loc[values.index[-1]:]) - 1
    if stale > MAX_GAP_MONTHS:
        raise NotEnoughHistory(
            f"No sales in the last {stale} months (since {values.index[-1]:%b %Y}); a forecast would only repeat old prices.",
            months_available=len(values),
        )
    full = monthly.loc[values.index[0]:values.index[-1]]
    full = full.reindex(pd.period_range(full.index[0], full.index[-1], freq="M"))
    missing = full.isna().to_numpy()
    ignored_before = None
    run = 0
    for i, hole in enumerate(missing):
        run = run + 1 if hole else 0
        if run > MAX_GAP_MONTHS:
            ignored_before = i + 1  # history restarts after this hole
    if ignored_before is not None:
        while ignored_before < len(full) and missing[ignored_before]:
            ignored_before += 1
        start = full.index[ignored_before]
        full, missing = full.iloc[ignored_before:], missing[ignored_before:]
        ignored_before = start.to_timestamp().date()
    logs = np.log(full).interpolate(method="linear")
    logs.index = pd.PeriodIndex(logs.index, freq="M")
    return _Prepared(
        logs=logs, filled=tuple(month.to_timestamp().date() for month in full.index[missing]),
        ignored_before=ignored_before, stale=stale, observed=int((~missing).sum()),
    )


def _fill_short_holes(logs: pd.Series) -> pd.Series:
    """Holes of up to MAX_GAP_MONTHS inside the series interpolated; longer ones, and the
    end, left NaN."""
    hole = logs.isna()
    run_id = (~hole).cumsum()
    run_length = hole.groupby(run_id).transform("sum")
    inside = logs.interpolate(method="linear", limit_area="inside")
    return logs.where(~hole | (run_length > MAX_GAP_MONTHS), inside)


def _monthly(series: pd.Series) -> pd.Series:
    """The series on a monthly PeriodIndex, sorted, one value per month, from its first to
    its last month (missing months NaN)."""
    index = series.index
    if isinstance(index, pd.PeriodIndex):
        months = index.asfreq("M")
    else:
        months = pd.DatetimeIndex(pd.to_datetime(index)).to_period("M")
    monthly = pd.Series(pd.to_numeric(np.asarray(series, dtype=float)), index=months).sort_index()
    if monthly.index.has_duplicates:
        raise ValueError("A monthly series has one value per month.")
    if (monthly.dropna() <= 0).any():
        raise ValueError("Prices must be positive.")
    if monthly.empty:
        return monthly
    return monthly.reindex(pd.period_range(monthly.index[0], monthly.index[-1], freq="M"))


def _since(prepared: _Prepared) -> str:
    return f" since {prepared.ignored_before:%b %Y} (an earlier gap)" if prepared.ignored_before else ""


def _check_horizon(horizon: int) -> None:
    if not (isinstance(horizon, int) and 1 <= horizon <= MAX_HORIZON):
        raise ValueError(f"A horizon is 1 to {MAX_HORIZON} months, not {horizon!r}.")
