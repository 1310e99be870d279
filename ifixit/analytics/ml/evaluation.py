"""How good a value model is: held-out metrics, k-fold cross-validation against the baseline
it must beat (the median price of the same make, model and year) and the peer it must beat (a
plain scikit-learn gradient boosting a competent analyst would build in an hour), and the rule
for promoting a newly trained model over the current one."""

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold

from ifixit.analytics.ml.features import (
    CATEGORICAL,
    KEY_SEPARATOR,
    NUMERIC,
    joined_keys,
    keys,
    latest_sale_date,
    numbers,
    numeric_features,
)
from ifixit.analytics.ml.value import INTERVAL, MAX_ITER, ValueModel, single_thread, train, usable_rows

# Coverage this far (absolute) under the nominal interval counts as a noticeable drop.
COVERAGE_SLACK = 0.05


@dataclass(frozen=True)
class Metrics:
    rows: int
    mae: float  # mean absolute error, in currency
    mape: float  # mean absolute error as a fraction of the actual price (0.08 = 8%)
    r2: float
    coverage: float | None  # share of actual prices inside [low, high]; None for the baseline

    def as_dict(self) -> dict:
        return asdict(self)


def metrics(actual: np.ndarray, mid: np.ndarray, low: np.ndarray | None = None,
            high: np.ndarray | None = None) -> Metrics:
    actual = np.asarray(actual, dtype=float)
    mid = np.asarray(mid, dtype=float)
    errors = np.abs(mid - actual)
    spread = ((actual - actual.mean()) ** 2).sum()
    coverage = None
    if low is not None and high is not None:
        coverage = float(((actual >= low) & (actual <= high)).mean())
    return Metrics(
        rows=len(actual), mae=float(errors.mean()), mape=float((errors / actual).mean()),
        r2=float(1 - ((mid - actual) ** 2).sum() / spread) if spread > 0 else 0.0, coverage=coverage,
    )


class Baseline:
    """The median price of the same make/model/year, falling back to make/model, then make, then all."""

    LEVELS = (("make", "model", "year"), ("make", "model"), ("make",))

    def __init__(self, medians: list[dict[str, float]], overall: float):
        self.medians = medians  # one per level, keyed as `_keys` joins them
        self.overall = overall

    @staticmethod
    def _keys(rows: pd.DataFrame, level: tuple[str, ...]) -> pd.Series:
        if "year" not in level:
            return joined_keys(rows, level)
        year = numbers(rows, "year")
        # A row without a year has no make/model/year group: it keys to nothing and falls back.
        year_key = year.map(lambda value: "" if pd.isna(value) else str(int(value)))
        joined = joined_keys(rows, level[:-1]) + KEY_SEPARATOR + year_key
        return joined.where(year_key != "", None)

    @classmethod
    def fit(cls, data: pd.DataFrame) -> "Baseline":
        data = usable_rows(data).reset_index(drop=True)
        price = pd.to_numeric(data["price"]).astype(float)
        medians = [price.groupby(cls._keys(data, level)).median().to_dict() for level in cls.LEVELS]
        return cls(medians, float(price.median()))

    def predict(self, rows: pd.DataFrame) -> pd.Series:
        positional = rows.reset_index(drop=True)  # a caller's repeated index labels must not align anything
        prediction = np.full(len(rows), self.overall)
        for level, medians in reversed(list(zip(self.LEVELS, self.medians))):  # coarse first, finer ones overwrite
            found = self._keys(positional, level).map(medians).to_numpy(dtype=float, na_value=np.nan)
            prediction = np.where(np.isnan(found), prediction, found)
        return pd.Series(prediction, index=rows.index)


class Peer:
    """The peer: scikit-learn's HistGradientBoostingRegressor on log price, with its native
    categorical splits on the same columns as the model (make, model, trim and the attributes)
    and the same numbers (age, mileage, month, time), at default settings but for 500 rounds
    at a learning rate of 0.05. It gives no interval.

    Native categories stop at 255 values a column: the 254 most frequent are kept and the rarer
    ones read as missing, as an analyst who hit that error would do."""

    CATEGORICAL = ("make", "model", "trim", *CATEGORICAL)
    MAX_ITER = 500
    LEARNING_RATE = 0.05
    MAX_CATEGORIES = 254

    def __init__(self, regressor: HistGradientBoostingRegressor, numeric: list[str], categories: dict[str, list[str]],
                 reference_date: date):
        self.regressor = regressor
        self.numeric = numeric
        self.categories = categories  # column -> the values it knows, in code order
        self.reference_date = reference_date

    def _frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.reset_index(drop=True)
        numeric = numeric_features(rows, self.reference_date)
        frame = pd.DataFrame({name: numeric[name] for name in self.numeric})
        for column, known in self.categories.items():
            values = keys(rows, column)
            frame[column] = pd.Categorical(values.where(values.isin(known), None), categories=known)
        return frame

    @classmethod
    def fit(cls, data: pd.DataFrame, *, seed: int = 0) -> "Peer":
        data = usable_rows(data).reset_index(drop=True)
        reference = latest_sale_date(data) or date.today()
        numeric = numeric_features(data, reference)
        names = [name for name in NUMERIC if not np.isnan(numeric[name]).all()]
        categories = {}
        for column in cls.CATEGORICAL:
            counts = keys(data, column).replace("", None).value_counts()
            if len(counts):
                categories[column] = sorted(counts.index[:cls.MAX_CATEGORIES])
        peer = cls(None, names, categories, reference)
        regressor = HistGradientBoostingRegressor(
            max_iter=cls.MAX_ITER, learning_rate=cls.LEARNING_RATE, categorical_features="from_dtype", random_state=seed,
        )
        with single_thread():
            peer.regressor = regressor.fit(peer._frame(data), np.log(pd.to_numeric(data["price"]).to_numpy(dtype=float)))
        return peer

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        with single_thread():
            return np.exp(self.regressor.predict(self._frame(rows)))


def evaluate_peer(peer: Peer, test: pd.DataFrame) -> Metrics:
    test = usable_rows(test)
    return metrics(_actual(test), peer.predict(test))


def holdout_split(data: pd.DataFrame, *, fraction: float = 0.2, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test): a random `fraction` of the rows held out for testing."""
    order = np.random.default_rng(seed).permutation(len(data))
    held_out = int(round(len(data) * fraction))
    return data.iloc[np.sort(order[held_out:])], data.iloc[np.sort(order[:held_out])]


def kfold_splits(data: pd.DataFrame, *, folds: int = 5, seed: int = 0) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """(train, test) per fold; every row is tested exactly once."""
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(data.iloc[train_at], data.iloc[test_at]) for train_at, test_at in splitter.split(data)]


def _actual(test: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(test["price"]).to_numpy(dtype=float)


def _model_predictions(model: ValueModel, test: pd.DataFrame) -> pd.DataFrame:
    # Undated test sales are placed where training placed undated sales: at the data's latest date.
    return model.predict(test.drop(columns="price"), as_of=model.reference_date)


def _model_metrics(actual: np.ndarray, predicted: pd.DataFrame) -> Metrics:
    return metrics(actual, predicted["mid"].to_numpy(), predicted["low"].to_numpy(), predicted["high"].to_numpy())


def evaluate(model: ValueModel, test: pd.DataFrame) -> Metrics:
    test = usable_rows(test)
    predicted = _model_predictions(model, test)
    return _model_metrics(_actual(test), predicted)


def evaluate_baseline(baseline: Baseline, test: pd.DataFrame) -> Metrics:
    test = usable_rows(test)
    return metrics(_actual(test), baseline.predict(test).to_numpy())


@dataclass(frozen=True)
class CrossValidation:
    folds: int
    model: Metrics  # over every row's out-of-fold prediction, pooled
    baseline: Metrics
    per_fold: list[tuple[Metrics, Metrics]]  # (model, baseline) per fold
    peer: Metrics | None = None  # None when the peer was not asked for
    peer_per_fold: list[Metrics] = field(default_factory=list)
    # Seconds spent fitting, summed over the folds: "model", "baseline" and "peer".
    train_seconds: dict[str, float] = field(default_factory=dict)

    def gain(self, other: Metrics | None) -> float | None:
        """How much lower the model's MAE is than `other`'s, as a fraction (0.1: 10% lower)."""
        if other is None or not other.mae:
            return None
        return 1 - self.model.mae / other.mae


def cross_validate(
    data: pd.DataFrame, *, folds: int = 5, seed: int = 0, progress: Callable[[int, int], None] | None = None,
    interval: float = INTERVAL, max_iter: int = MAX_ITER, peer: bool = True,
) -> CrossValidation:
    """k-fold: each fold's model, baseline and (unless `peer` is False) peer are fitted on the
    other folds and tested on it: all three on the same folds."""
    data = usable_rows(data)
    per_fold, peer_per_fold = [], []
    seconds = {"model": 0.0, "baseline": 0.0} | ({"peer": 0.0} if peer else {})
    actual, mids, lows, highs, baseline_mids, peer_mids = [], [], [], [], [], []

    def timed(name: str, fit: Callable, *args, **kwargs):
        started = time.perf_counter()
        fitted = fit(*args, **kwargs)
        seconds[name] += time.perf_counter() - started
        return fitted

    for done, (fold_train, fold_test) in enumerate(kfold_splits(data, folds=folds, seed=seed), start=1):
        model = timed("model", train, fold_train, interval=interval, seed=seed, max_iter=max_iter)
        baseline = timed("baseline", Baseline.fit, fold_train)
        predicted = _model_predictions(model, fold_test)
        baseline_predicted = baseline.predict(fold_test).to_numpy()
        fold_actual = _actual(fold_test)
        per_fold.append((
            _model_metrics(fold_actual, predicted),
            metrics(fold_actual, baseline_predicted),
        ))
        if peer:
            peer_predicted = timed("peer", Peer.fit, fold_train, seed=seed).predict(fold_test)
            peer_per_fold.append(metrics(fold_actual, peer_predicted))
            peer_mids.append(peer_predicted)
        actual.append(fold_actual)
        mids.append(predicted["mid"].to_numpy())
        lows.append(predicted["low"].to_numpy())
        highs.append(predicted["high"].to_numpy())
        baseline_mids.append(baseline_predicted)
        if progress is not None:
            progress(done, folds)
    actual = np.concatenate(actual)
    return CrossValidation(
        folds=folds,
        model=metrics(actual, np.concatenate(mids), np.concatenate(lows), np.concatenate(highs)),
        baseline=metrics(actual, np.concatenate(baseline_mids)),
        per_fold=per_fold,
        peer=metrics(actual, np.concatenate(peer_mids)) if peer else None,
        peer_per_fold=peer_per_fold,
        train_seconds={name: round(total, 2) for name, total in seconds.items()},
    )


def not_worse(candidate: Metrics, current: Metrics, *, tolerance: float = 0.02, nominal: float = INTERVAL,
              coverage_slack: float = COVERAGE_SLACK) -> tuple[bool, str]:
    """The promotion rule: (promote?, why in plain words with the numbers).

    Refused when the candidate's MAE is worse than the current's by more than `tolerance`
    (relative), or when its interval holds more than `coverage_slack` (absolute) less than
    `nominal` while the current's did not (a current without an interval excuses nothing).
    """
    change = candidate.mae / current.mae - 1 if current.mae > 0 else (0.0 if candidate.mae == 0 else float("inf"))
    mae_words = f"MAE {candidate.mae:,.0f} against the current {current.mae:,.0f} ({change:+.1%})"
    if change > tolerance:
        return False, f"{mae_words}: worse by more than the {tolerance:.0%} allowed."
    floor = nominal - coverage_slack
    if candidate.coverage is not None and candidate.coverage < floor:
        if current.coverage is None or current.coverage >= floor:
            current_words = "" if current.coverage is None else f", the current's {current.coverage:.1%}"
            return False, (f"{mae_words}, but its interval holds only {candidate.coverage:.1%} of prices "
                           f"(nominal {nominal:.0%}{current_words}), below the {floor:.0%} floor.")
    coverage_words = ""
    if candidate.coverage is not None:
        coverage_words = f"; interval coverage {candidate.coverage:.1%}"
        if current.coverage is not None:
            coverage_words += f" against {current.coverage:.1%}"
        coverage_words += f" (nominal {nominal:.0%})"
    return True, f"{mae_words}{coverage_words}: not worse."
