"""How long a segment's forecast takes when it is not cached: `python bench/ml_forecast.py`.

The Forecast page and API compute, on a cache miss, one forecast and one 12-origin
backtest (each origin fits the two seasonal models, damped and not) of the segment's
monthly medians. This times both on series of 36, 48 and 60 months shaped like the
market (a trend, a 12-month season, 3 % noise a month), uncached, and reports p50 and
p95 in milliseconds. Reading the series from the rollups is timed by bench/analytics.py
(trend); it is a few milliseconds beside these. Timing lives here, never in tests.
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ifixit.analytics.ml import forecast as ml  # noqa: E402 (after the path is set)

SEASON = [-0.035, -0.02, 0.03, 0.035, 0.02, 0.0, -0.01, -0.015, 0.03, 0.005, -0.02, -0.04]


def series(months: int, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.period_range("2021-01", periods=months, freq="M")
    t = np.arange(months)
    logs = np.log(14_000) + 0.002 * t + np.array([SEASON[m.month - 1] for m in index]) + rng.normal(0, 0.03, months)
    return pd.Series(np.exp(logs), index=index)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def measure(*, lengths: tuple[int, ...] = (36, 48, 60), repeats: int = 8) -> dict:
    """Per series length: forecast, backtest and their sum, p50 and p95 in ms, over
    `repeats` different series (each seed a different segment, none cached)."""
    ml.forecast(series(36, seed=0))  # the first fit loads statsmodels' compiled parts: not a segment's cost
    results = {}
    for months in lengths:
        forecast_ms, backtest_ms, total_ms = [], [], []
        for seed in range(1, repeats + 1):
            data = series(months, seed)
            started = time.perf_counter()
            ml.forecast(data, horizon=6)
            middle = time.perf_counter()
            ml.backtest(data, horizon=6, origins=ml.DEFAULT_ORIGINS)
            ended = time.perf_counter()
            forecast_ms.append((middle - started) * 1000)
            backtest_ms.append((ended - middle) * 1000)
            total_ms.append((ended - started) * 1000)
        results[months] = {
            name: {"p50": round(statistics.median(values), 1), "p95": round(p95(values), 1)}
            for name, values in (("forecast_ms", forecast_ms), ("backtest_ms", backtest_ms), ("total_ms", total_ms))
        }
        results[months]["runs"] = repeats
    return results


if __name__ == "__main__":
    for months, figures in measure().items():
        print(f"{months} months: forecast p50 {figures['forecast_ms']['p50']:7.1f} ms  p95 {figures['forecast_ms']['p95']:7.1f} ms | "
              f"backtest (12 origins) p50 {figures['backtest_ms']['p50']:7.1f} ms  p95 {figures['backtest_ms']['p95']:7.1f} ms | "
              f"both p50 {figures['total_ms']['p50']:7.1f} ms  p95 {figures['total_ms']['p95']:7.1f} ms  ({figures['runs']} segments)")
