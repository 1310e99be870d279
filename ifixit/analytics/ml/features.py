"""Sale rows to the numeric matrix the value model learns from, two ways that agree exactly:
a vectorised one for frames (training, batch prediction) and a plain-Python one for a single
row (a lot page must be answered in milliseconds, and pandas costs more than that per call).

Features:
- numbers: age at sale (sale year − model year), mileage, month of the year (season) and a
  time index in years (trend). A row without a sale date is placed at a reference date: the
  data's latest date when training, the caller's `as_of` when predicting.
- every categorical column target-encoded: a value becomes the (shrunk, cross-fitted) mean
  log price of its sales, net of age and mileage, so hundreds of models cost one column, and
  rare values lean on the overall mean. make + model and make + model + trim are encoded as
  pairs and triples; a model never seen is valued as its make, a trim never seen as its
  make + model, any other unseen value as the overall mean.
- beside them, make, model, trim and every categorical column as a category code, for gradient
  boosting's native categorical splits (a split can group any values, where an encoding orders
  them on one line). Codes are the 254 most frequent values of a column (native categories stop
  at 255); rarer and unseen values are missing. The codes are made here, in plain Python for one
  row, so a prediction needs none of pandas' per-call preprocessing (which cost about 10 ms).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold
from sklearn.preprocessing import TargetEncoder

NUMERIC = ["age", "mileage", "month", "time"]
CATEGORICAL = ["kind", "source", "condition", "fuel", "transmission", "drive", "body_type", "colour", "region"]
# Each encoded feature is keyed by the columns it joins.
TARGET_ENCODED = {
    "make": ("make",), "make_model": ("make", "model"), "make_model_trim": ("make", "model", "trim"),
    **{column: (column,) for column in CATEGORICAL},
}
# What an unseen key is valued as (listed after its fallback above); anything else unseen gets the overall mean.
FALLBACK = {"make_model": "make", "make_model_trim": "make_model"}
# The columns also given as category codes, and how many values each keeps.
NATIVE = ("make", "model", "trim", *CATEGORICAL)
MAX_CATEGORIES = 254
TIME_ORIGIN = date(2000, 1, 1)
DAYS_PER_YEAR = 365.25
KEY_SEPARATOR = "\x1f"


def key(value: object) -> str:
    """How a categorical value is compared: case and surrounding spaces ignored, missing as ""."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip().lower()


def keys(frame: pd.DataFrame, column: str) -> pd.Series:
    """`key` over a whole column; a column the frame lacks is all missing."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    values = frame[column]
    missing = values.isna()
    tidy = values.astype(str).str.strip().str.lower().astype(object)
    tidy[missing.to_numpy()] = ""
    return tidy


def joined_keys(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    joined = keys(frame, columns[0])
    for column in columns[1:]:
        joined = joined + KEY_SEPARATOR + keys(frame, column)
    return joined


def as_date(value: object) -> date | None:
    # pandas' NaT is a datetime too, so missing is checked first.
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, datetime):  # includes pandas Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        return None


def as_number(value: object) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def time_index(day: date) -> float:
    return (day - TIME_ORIGIN).days / DAYS_PER_YEAR


def latest_sale_date(frame: pd.DataFrame) -> date | None:
    if "sale_date" not in frame.columns:
        return None
    latest = pd.to_datetime(frame["sale_date"], errors="coerce").max()
    return None if pd.isna(latest) else latest.date()


def numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as floats, anything unreadable as NaN; a column the frame lacks is all NaN."""
    if column not in frame.columns:
        return pd.Series(math.nan, index=frame.index)
    return pd.to_numeric(frame[column], errors="coerce")


def numeric_features(frame: pd.DataFrame, reference: date) -> dict[str, np.ndarray]:
    if "sale_date" in frame.columns:
        dates = pd.to_datetime(frame["sale_date"], errors="coerce")
        dates = dates.fillna(pd.Timestamp(reference))
    else:
        dates = pd.Series(pd.Timestamp(reference), index=frame.index)
    year, mileage = numbers(frame, "year"), numbers(frame, "mileage")
    days = (dates - pd.Timestamp(TIME_ORIGIN)).dt.days
    return {
        "age": (dates.dt.year - year).to_numpy(dtype=float, na_value=math.nan),
        "mileage": mileage.to_numpy(dtype=float, na_value=math.nan),
        "month": dates.dt.month.to_numpy(dtype=float),
        "time": (days / DAYS_PER_YEAR).to_numpy(dtype=float),
    }


def age_adjusted(target: np.ndarray, numeric: dict[str, np.ndarray]) -> np.ndarray:
    """Log prices less a straight-line fit on age and mileage: what the encodings average.

    A model's plain mean price mostly says how old its sales were (a model launched two years
    ago has only young cars); net of age and mileage it says what the model itself is worth.
    """
    columns = [np.ones(len(target))]
    for name in ("age", "mileage"):
        values = numeric[name]
        if not np.isnan(values).all():
            columns.append(np.where(np.isnan(values), np.nanmedian(values), values))
    design = np.column_stack(columns)
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    return target - design @ coefficients


@dataclass
class FeatureEncoder:
    """What training learned about the columns; turns rows into the model's matrix."""

    columns: list[str]  # the matrix's named columns, in order: the numbers, then the encoded ones
    encodings: dict[str, dict[str, float]]  # encoded feature -> key -> mean age-adjusted log price
    target_mean: float  # the overall mean, for values never seen
    # column -> key -> category code, appended after `columns` in NATIVE's order. None in models
    # saved before codes existed (the class default, which their pickles fall back on): no codes.
    native: dict[str, dict[str, int]] | None = None

    @property
    def categorical(self) -> list[bool]:
        """Which of the matrix's columns are category codes."""
        return [False] * len(self.columns) + [True] * len(self.native or {})

    def _codes(self, frame: pd.DataFrame) -> list[np.ndarray]:
        return [keys(frame, column).map(codes).to_numpy(dtype=float, na_value=math.nan)
                for column, codes in (self.native or {}).items()]

    @classmethod
    def fit_transform(
        cls, frame: pd.DataFrame, target: np.ndarray, *, seed: int = 0,
    ) -> tuple["FeatureEncoder", np.ndarray]:
        frame = frame.reset_index(drop=True)
        reference = latest_sale_date(frame) or date.today()
        numeric = numeric_features(frame, reference)
        numeric_names = [name for name in NUMERIC if not np.isnan(numeric[name]).all()]
        # A column the data never fills (no trims, no regions) would only add a constant.
        encoded_names = [
            name for name, parts in TARGET_ENCODED.items()
            if all(keys(frame, part).astype(bool).any() for part in parts)
        ]
        joined = np.column_stack([joined_keys(frame, TARGET_ENCODED[name]).to_numpy() for name in encoded_names])
        # Cross-fitted: a sale's own price never feeds its own encoding, or the trees would trust it too much.
        folds = KFold(5, shuffle=True, random_state=seed)
        target_encoder = TargetEncoder(target_type="continuous", smooth="auto", cv=folds)
        cross_fitted = target_encoder.fit_transform(joined, age_adjusted(target, numeric))
        encodings = {
            name: dict(zip(categories.tolist(), values.tolist()))
            for name, categories, values in zip(encoded_names, target_encoder.categories_, target_encoder.encodings_)
        }
        native = {}
        for column in NATIVE:
            counts = keys(frame, column).value_counts()
            counts = counts[counts.index != ""]
            if len(counts):
                native[column] = {value: code for code, value in enumerate(sorted(counts.index[:MAX_CATEGORIES]))}
        encoder = cls(columns=numeric_names + encoded_names, encodings=encodings,
                      target_mean=float(target_encoder.target_mean_), native=native)
        matrix = np.column_stack([numeric[name] for name in numeric_names] + [cross_fitted] + encoder._codes(frame))
        return encoder, matrix

    def transform(self, frame: pd.DataFrame, *, reference: date) -> np.ndarray:
        frame = frame.reset_index(drop=True)  # a caller's repeated index labels must not align anything
        values = numeric_features(frame, reference)
        overall = np.full(len(frame), self.target_mean)
        for name, encoding in self.encodings.items():
            found = joined_keys(frame, TARGET_ENCODED[name]).map(encoding).to_numpy(dtype=float, na_value=math.nan)
            values[name] = np.where(np.isnan(found), values.get(FALLBACK.get(name), overall), found)
        return np.column_stack([values[name] for name in self.columns] + self._codes(frame))

    def transform_one(self, row: Mapping[str, object], *, reference: date) -> np.ndarray:
        """The same as `transform` for one row, in plain Python."""
        day = as_date(row.get("sale_date")) or reference
        values = {
            "age": day.year - as_number(row.get("year")),
            "mileage": as_number(row.get("mileage")),
            "month": float(day.month),
            "time": time_index(day),
        }
        for name, encoding in self.encodings.items():
            fallback = values.get(FALLBACK.get(name), self.target_mean)
            joined = KEY_SEPARATOR.join(key(row.get(part)) for part in TARGET_ENCODED[name])
            values[name] = encoding.get(joined, fallback)
        codes = [float(codes.get(key(row.get(column)), math.nan)) for column, codes in (self.native or {}).items()]
        return np.array([[values[name] for name in self.columns] + codes], dtype=float)
