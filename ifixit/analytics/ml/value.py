"""What a car is worth: quantile gradient boosting on log price, giving a middle estimate
and an interval (by default the 10th to 90th percentile of what such a car sells for).

The interval is calibrated (conformalized quantile regression): the low and high models are
fitted without a slice of the rows, and their interval is widened (or narrowed) by the amount
that makes it hold `interval` of that slice's prices. Uncalibrated, boosted quantiles fit their
own training rows too closely and covered 57-78% instead of 80% on held-out sales.

The middle is a blend, in log price, of two boostings on the same rows: the quantile model on
every feature (numbers, target encodings and category codes), and a squared-error model on the
numbers and category codes alone, as a plain scikit-learn analyst would build it. Measured on
public listing files (bench/README.md), each alone was a few percent worse than the blend.

Plain functions over DataFrames with the warehouse's SaleFact columns; the ORM, versions
and promotion live in the analytics app. `dumps` bytes are a joblib pickle: load only
bytes this project wrote.
"""

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import ThreadpoolController

from ifixit.analytics.ml.features import NUMERIC, FeatureEncoder, key, latest_sale_date

INTERVAL = 0.8  # the prediction interval's nominal coverage (10th to 90th percentile)
MAX_ITER = 3_000  # boosting rounds at most; early stopping ends far sooner (200-600 rounds on 5,000-20,000 rows)
# At 0.1 with a patience of 10, early stopping ended after 60-90 rounds on listing files, 1-2% worse.
LEARNING_RATE = 0.05
FEW_ROUNDS_LEARNING_RATE = 0.1
LEAVES = 31
# Small leaves let the trees follow the many near-identical listings of one model; 20 was 1-2% worse.
MIN_LEAF_ROWS = 5
PATIENCE = 30
MIN_TRAINING_ROWS = 50
# Early stopping holds back a tenth of the rows; below this that tenth is too small to judge by.
EARLY_STOPPING_ROWS = 1_000
# The squared-error model's share of the middle, in log price; its rounds are fixed, as the peer's are.
BLEND = 0.3
BLEND_ITER = 500
# The slice that calibrates the interval: a fifth of the rows, but 5,000 already pin an 80%
# quantile's coverage to about half a percentage point, and more would be taken from the interval's own fit.
CALIBRATION_FRACTION = 0.2
CALIBRATION_ROWS = 5_000


@dataclass(frozen=True)
class Prediction:
    mid: float
    low: float
    high: float


class ValueModel:
    """A trained value model: `predict` for frames, `predict_one` for a single lot."""

    def __init__(self, *, encoder: FeatureEncoder, regressors: tuple[HistGradientBoostingRegressor, ...],
                 widening: float, interval: float, trained_rows: int, reference_date: date):
        self.encoder = encoder
        self.regressors = regressors  # the low, middle and high quantiles, on log price
        self.widening = widening  # in log price, subtracted from low and added to high by calibration
        self.features: list[str] = list(encoder.columns)
        self.interval = interval
        self.trained_rows = trained_rows
        # The latest sale date in the training data: undated training rows were placed there.
        self.reference_date = reference_date
        self.sklearn_version = sklearn.__version__
        self.blend: tuple[HistGradientBoostingRegressor, list[int], float] | None = None
        self.interval_columns: list[int] | None = None  # the matrix's columns the low and high models see

    # Models saved before the blend have neither attribute of their own: they fall back on
    # these and predict as they did (every column for every regressor, no blend).
    blend = None
    interval_columns = None

    def __repr__(self) -> str:
        return f"<ValueModel {self.trained_rows} rows, {len(self.features)} features, {self.interval:.0%} interval>"

    def _prices(self, matrix: np.ndarray) -> np.ndarray:
        bounds = matrix if self.interval_columns is None else matrix[:, self.interval_columns]
        with single_thread():
            low, mid, high = (regressor.predict(rows) for regressor, rows in zip(self.regressors, (bounds, matrix, bounds)))
            if self.blend is not None:
                regressor, columns, share = self.blend
                mid = (1 - share) * mid + share * regressor.predict(matrix[:, columns])
        log_prices = np.column_stack([low - self.widening, mid, high + self.widening])
        # Separately fitted quantiles can cross; sorting keeps low <= mid <= high.
        log_prices.sort(axis=1)
        return np.exp(log_prices)

    def predict(self, rows: pd.DataFrame, *, as_of: date | None = None) -> pd.DataFrame:
        """Columns mid, low, high for each row; a row without a sale date is valued as if sold on `as_of` (today)."""
        if rows.empty:
            return pd.DataFrame({"mid": [], "low": [], "high": []}, index=rows.index, dtype=float)
        prices = self._prices(self.encoder.transform(rows, reference=as_of or date.today()))
        return pd.DataFrame({"mid": prices[:, 1], "low": prices[:, 0], "high": prices[:, 2]}, index=rows.index)

    def predict_one(self, row: Mapping[str, object], *, as_of: date | None = None) -> Prediction:
        low, mid, high = self._prices(self.encoder.transform_one(row, reference=as_of or date.today()))[0]
        return Prediction(mid=float(mid), low=float(low), high=float(high))

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(self, buffer, compress=3)
        return buffer.getvalue()

    @classmethod
    def loads(cls, data: bytes) -> "ValueModel":
        model = joblib.load(io.BytesIO(data))
        if not isinstance(model, cls):
            raise TypeError(f"expected a ValueModel, got {type(model).__name__}")
        return model


_thread_controller = None


def single_thread():
    """A context limiting OpenMP to one thread for gradient boosting's fit and predict.

    On a busy machine (the worker shares it with the web and other jobs) OpenMP threads that
    wait for each other made training on 100,000 rows take 91 s instead of 15 s, and a single
    prediction up to 10 s instead of a few milliseconds. The controller is built once: it
    inspects every loaded library.
    """
    global _thread_controller
    if _thread_controller is None:
        _thread_controller = ThreadpoolController()
    return _thread_controller.limit(limits=1, user_api="openmp")


def usable_rows(data: pd.DataFrame) -> pd.DataFrame:
    """The sales a model can learn from: a positive price and a make and model."""
    price = pd.to_numeric(data["price"], errors="coerce")
    named = data["make"].map(key).astype(bool) & data["model"].map(key).astype(bool)
    return data[(price > 0) & np.isfinite(price) & named]


def train(data: pd.DataFrame, *, interval: float = INTERVAL, seed: int = 0, max_iter: int = MAX_ITER) -> ValueModel:
    if not 0 < interval < 1:
        raise ValueError(f"interval must be between 0 and 1, not {interval}")
    data = usable_rows(data)
    if len(data) < MIN_TRAINING_ROWS:
        raise ValueError(
            f"too few sales to train on: {len(data)} (at least {MIN_TRAINING_ROWS} with a price, make and model)")
    target = np.log(pd.to_numeric(data["price"]).to_numpy(dtype=float))
    # The calibration rows keep their cross-fitted encodings: like a new sale's, they exclude its own price.
    encoder, matrix = FeatureEncoder.fit_transform(data, target, seed=seed)
    order = np.random.default_rng(seed).permutation(len(data))
    calibrating = order[:min(round(len(data) * CALIBRATION_FRACTION), CALIBRATION_ROWS)]
    fitting = order[len(calibrating):]

    categorical = encoder.categorical
    # A caller that caps the rounds well below what early stopping takes (a quick training, a
    # test) gets the larger steps it needs to get there in them.
    learning_rate = min(max(LEARNING_RATE, 6 / max_iter), FEW_ROUNDS_LEARNING_RATE)

    # The low and high models see no category codes: scikit-learn prepares categorical columns
    # on every call (about 5 ms a model for one row), and the calibration sets the interval's width anyway.
    bounds = [i for i, is_code in enumerate(categorical) if not is_code]

    def fit(quantile: float, at: np.ndarray | slice, columns: list[int]) -> HistGradientBoostingRegressor:
        codes = [categorical[i] for i in columns]
        return HistGradientBoostingRegressor(
            loss="quantile", quantile=quantile, learning_rate=learning_rate, max_iter=max_iter, max_leaf_nodes=LEAVES,
            min_samples_leaf=MIN_LEAF_ROWS, early_stopping=len(data) >= EARLY_STOPPING_ROWS, validation_fraction=0.1,
            n_iter_no_change=PATIENCE, random_state=seed, categorical_features=codes if any(codes) else None,
        ).fit(matrix[at][:, columns], target[at])

    # The blend's model sees the numbers and the category codes, not the encodings.
    plain = [i for i, name in enumerate(encoder.columns) if name in NUMERIC] + [
        i for i, is_code in enumerate(categorical) if is_code]
    with single_thread():
        # The middle needs no calibration, so it learns from every row.
        everything = list(range(matrix.shape[1]))
        low, high = fit((1 - interval) / 2, fitting, bounds), fit((1 + interval) / 2, fitting, bounds)
        mid = fit(0.5, slice(None), everything)
        plain_codes = [categorical[i] for i in plain]
        squared = HistGradientBoostingRegressor(
            learning_rate=learning_rate, max_iter=min(BLEND_ITER, max_iter), random_state=seed,
            categorical_features=plain_codes if any(plain_codes) else None,
        ).fit(matrix[:, plain], target)
        actual = target[calibrating]
        checked = matrix[calibrating][:, bounds]
        misses = np.maximum(low.predict(checked) - actual, actual - high.predict(checked))
    # The conformal quantile: the ⌈(n + 1)·interval⌉-th smallest miss, so that a new sale is
    # inside the widened interval with probability at least `interval`.
    rank = min(math.ceil((len(misses) + 1) * interval), len(misses))
    widening = float(np.sort(misses)[rank - 1])
    model = ValueModel(encoder=encoder, regressors=(low, mid, high), widening=widening, interval=interval,
                       trained_rows=len(data), reference_date=latest_sale_date(data) or date.today())
    model.blend = (squared, plain, BLEND)
    model.interval_columns = bounds
    return model
