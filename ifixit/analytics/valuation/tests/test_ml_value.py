"""The value model, its baseline and its evaluation, on small generated markets whose price
formula is known, and on tiny frames whose medians and metrics are worked out by hand."""

import math
import pickle
from datetime import date

import numpy as np
import pandas as pd
import pytest

from ifixit.analytics.ml import evaluation, value
from ifixit.analytics.ml.evaluation import Baseline, Metrics, not_worse
from ifixit.analytics.ml.value import Prediction, ValueModel

# Few boosting rounds keep the file fast; the 100,000-row behaviour is measured in bench/ml_value.py.
ROUNDS = 60
AS_OF = date(2026, 1, 1)

# Eight makes of five models (40 in all): a model's price new is 15,000 × its make's level × (1 + 0.25 × its rank).
MAKE_LEVELS = {
    "Ford": 1.0, "Vauxhall": 0.95, "Audi": 1.4, "BMW": 1.5, "Kia": 1.05, "Toyota": 1.1, "Skoda": 1.0, "Volvo": 1.35,
}
CONDITION_FACTORS = {"excellent": 1.08, "good": 1.0, "fair": 0.9, "poor": 0.75}


def price_new(make: str, model: str) -> float:
    return 15_000 * MAKE_LEVELS[make] * (1 + 0.25 * int(model[1:]))


def fair_price(make: str, model: str, age: int, mileage: int, condition: str) -> float:
    """The market's median price for a car: 15% off a year, e^(−miles/150,000), and its condition."""
    return price_new(make, model) * 0.85 ** age * math.exp(-mileage / 150_000) * CONDITION_FACTORS[condition]


def market(count: int, *, seed: int) -> pd.DataFrame:
    """Sales priced by `fair_price` times log-normal noise (σ = 0.08): the median is the fair price."""
    rng = np.random.default_rng(seed)
    makes = rng.choice(list(MAKE_LEVELS), count)
    models = [f"M{rank}" for rank in rng.integers(0, 5, count)]
    sale_dates = pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, count), unit="D")
    ages = np.minimum(rng.geometric(0.2, count) - 1, 12)
    mileages = np.maximum(500, (ages * 9_000 + 4_000 + rng.normal(0, 6_000, count)).round()).astype(int)
    conditions = rng.choice(list(CONDITION_FACTORS), count, p=[0.2, 0.5, 0.2, 0.1])
    noises = rng.normal(0, 0.08, count)
    prices = [
        fair_price(make, model, int(age), int(mileage), condition) * math.exp(noise)
        for make, model, age, mileage, condition, noise in zip(makes, models, ages, mileages, conditions, noises)
    ]
    frame = pd.DataFrame({
        "kind": rng.choice(["auction", "retail"], count), "source": rng.choice(["BCA", "Manheim"], count),
        "make": makes, "model": models, "trim": "", "year": sale_dates.year - ages, "mileage": mileages,
        "sale_date": sale_dates, "condition": conditions, "fuel": rng.choice(["petrol", "diesel"], count),
        "region": rng.choice(["London", "Scotland", "Yorkshire"], count), "price": np.round(prices),
    })
    frame.loc[rng.random(count) < 0.01, "sale_date"] = pd.NaT  # undated records are valid training rows
    return frame


@pytest.fixture(scope="module")
def sales():
    return market(2_500, seed=1)


@pytest.fixture(scope="module")
def split(sales):
    return evaluation.holdout_split(sales, fraction=0.2, seed=0)


@pytest.fixture(scope="module")
def model(split):
    training, _ = split
    return value.train(training, seed=0, max_iter=ROUNDS)


def car(**fields) -> dict:
    row = {
        "kind": "auction", "source": "BCA", "make": "Audi", "model": "M2", "trim": "", "year": 2021, "mileage": 40_000,
        "sale_date": pd.Timestamp("2025-06-15"), "condition": "good", "fuel": "petrol", "region": "London",
    }
    return row | fields


def test_it_beats_the_baseline_on_held_out_sales(model, split):
    training, test = split
    scored = evaluation.evaluate(model, test)
    baseline = evaluation.evaluate_baseline(Baseline.fit(training), test)

    assert scored.rows == baseline.rows == 500
    # The baseline knows make, model and year but not mileage or condition, and its groups hold a few sales each.
    assert scored.mae < 0.5 * baseline.mae
    # The noise alone (log-normal, σ = 0.08) costs a perfect model a MAPE of about 0.064.
    assert scored.mape < 0.09
    assert scored.r2 > 0.9
    assert 0.7 <= scored.coverage <= 0.9
    assert baseline.coverage is None


def test_it_values_a_car_near_the_formula(model):
    # Audi M2: new 15,000 × 1.4 × 1.5 = 31,500; four years (0.85⁴ = 0.522) and 40,000 miles
    # (e^−0.267 = 0.766): 12,594.
    expected = fair_price("Audi", "M2", 4, 40_000, "good")
    assert expected == pytest.approx(12_594, abs=1)
    assert model.predict_one(car(), as_of=AS_OF).mid == pytest.approx(expected, rel=0.1)
    # The same car in poor condition is worth a quarter less (0.75 in the formula).
    poor = model.predict_one(car(condition="poor"), as_of=AS_OF).mid
    assert poor / model.predict_one(car(), as_of=AS_OF).mid == pytest.approx(0.75, abs=0.08)


def test_it_keeps_low_mid_high_in_order_around_the_price(model, split):
    _, test = split
    predicted = model.predict(test.drop(columns="price"), as_of=AS_OF)

    assert list(predicted.columns) == ["mid", "low", "high"]
    assert predicted.index.equals(test.index)
    assert (predicted["low"] <= predicted["mid"]).all() and (predicted["mid"] <= predicted["high"]).all()
    assert (predicted["low"] < predicted["high"]).mean() > 0.99


def test_it_answers_one_row_exactly_as_a_frame(model, sales):
    rows = sales.drop(columns="price").head(20).to_dict("records") + [
        car(sale_date=None, mileage=None), car(year=pd.NA, condition=""), car(make="Lada", model="Niva"),
        car(model="M9", fuel="hydrogen", region=None), car(make="audi", model=" m2 "), car(sale_date=pd.NaT),
    ]
    batch = model.predict(pd.DataFrame(rows), as_of=AS_OF)
    one_by_one = [model.predict_one(row, as_of=AS_OF) for row in rows]

    assert all(isinstance(prediction, Prediction) for prediction in one_by_one)
    np.testing.assert_array_equal(
        batch[["mid", "low", "high"]].to_numpy(),
        [[prediction.mid, prediction.low, prediction.high] for prediction in one_by_one],
    )


def test_it_ignores_the_frames_index(model, sales):
    rows = sales.drop(columns="price").head(6)
    repeated = rows.set_axis([7, 7, 3, 3, 3, 0])
    predicted = model.predict(repeated, as_of=AS_OF)

    assert list(predicted.index) == [7, 7, 3, 3, 3, 0]
    np.testing.assert_array_equal(predicted.to_numpy(), model.predict(rows, as_of=AS_OF).to_numpy())


def test_it_values_an_undated_row_as_sold_on_as_of(model):
    undated = model.predict_one(car(sale_date=None), as_of=date(2025, 3, 1))
    assert undated == model.predict_one(car(sale_date=date(2025, 3, 1)))
    assert undated == model.predict_one(car(sale_date="2025-03-01"))


def test_it_values_unseen_makes_and_models_by_what_it_knows(model):
    # An unseen model is valued as its make; an unseen make as the market as a whole.
    assert model.predict_one(car(model="Q9"), as_of=AS_OF) == model.predict_one(car(model="R8"), as_of=AS_OF)
    lada = model.predict_one(car(make="Lada", model="Niva"), as_of=AS_OF)
    assert lada == model.predict_one(car(make="Tata", model="Nano"), as_of=AS_OF)
    # Audi is an expensive make, Vauxhall a cheap one: their unseen models keep that order.
    audi = model.predict_one(car(make="Audi", model="Q9"), as_of=AS_OF)
    vauxhall = model.predict_one(car(make="Vauxhall", model="Q9"), as_of=AS_OF)
    assert audi.mid > 1.2 * vauxhall.mid
    # Spelling is compared without case or surrounding spaces.
    assert model.predict_one(car(make="AUDI", model=" m2"), as_of=AS_OF) == model.predict_one(car(), as_of=AS_OF)


def test_it_predicts_rows_that_lack_columns(model):
    bare = pd.DataFrame({"make": ["Ford", "Ford"], "model": ["M1", "M1"], "year": [2020, None]})
    predicted = model.predict(bare, as_of=AS_OF)

    assert predicted.notna().all().all()
    assert (predicted["low"] <= predicted["high"]).all()
    assert model.predict_one({"make": "Ford", "model": "M1"}, as_of=AS_OF).mid > 0


def test_it_trains_on_make_model_and_price_alone(sales):
    bare = sales[["make", "model", "year", "price"]]
    trained = value.train(bare, max_iter=20)

    # No sale dates: every sale sits at today, so month and time are constant and say nothing.
    assert trained.features == ["age", "month", "time", "make", "make_model"]
    assert trained.trained_rows == 2_500
    full_rows = sales.drop(columns="price").head(3)
    assert trained.predict(full_rows).notna().all().all()


def test_it_leaves_out_unusable_rows_and_columns_it_never_sees(sales):
    dirty = sales.head(300).copy()
    dirty.loc[dirty.index[:10], "price"] = 0
    dirty.loc[dirty.index[10:15], "model"] = ""
    dirty["colour"] = ""
    trained = value.train(dirty, max_iter=10)

    assert trained.trained_rows == 285
    assert "colour" not in trained.features and "trim" not in trained.features
    assert {"kind", "source", "condition", "fuel", "region", "mileage"} <= set(trained.features)


def test_it_refuses_too_little_data(sales):
    with pytest.raises(ValueError, match="too few sales to train on: 49"):
        value.train(sales.head(49))


def test_it_round_trips_through_bytes(model, split):
    _, test = split
    data = model.dumps()
    loaded = ValueModel.loads(data)

    assert len(data) < len(pickle.dumps(model)) / 2  # compressed
    pd.testing.assert_frame_equal(loaded.predict(test, as_of=AS_OF), model.predict(test, as_of=AS_OF))
    assert (loaded.features, loaded.interval, loaded.trained_rows) == (model.features, 0.8, 2_000)


def test_it_refuses_bytes_that_are_not_a_value_model():
    import io

    import joblib

    buffer = io.BytesIO()
    joblib.dump({"not": "a model"}, buffer)
    with pytest.raises(TypeError, match="expected a ValueModel, got dict"):
        ValueModel.loads(buffer.getvalue())


def test_it_is_deterministic_for_a_seed(sales):
    small = sales.head(400)
    first, second = value.train(small, seed=3, max_iter=15), value.train(small, seed=3, max_iter=15)
    pd.testing.assert_frame_equal(first.predict(small, as_of=AS_OF), second.predict(small, as_of=AS_OF))


# The baseline, on sales whose medians are worked out by hand:
# Ford Focus 2018: 10,000 and 16,000 -> 13,000.  Ford Focus 2019: 14,000.  Ford Focus, no year: 9,000.
# Ford Focus in all: 9,000 10,000 14,000 16,000 -> 12,000.  Ford Fiesta 2018: 8,000.
# Ford in all: 8,000 9,000 10,000 14,000 16,000 -> 10,000.  Audi A3 2020: 30,000 and 32,000 -> 31,000.
# Everything: 8,000 9,000 10,000 14,000 16,000 30,000 32,000 -> 14,000.
HAND_SALES = pd.DataFrame({
    "make": ["Ford", "Ford", "Ford", "Ford", "Ford", "Audi", "Audi"],
    "model": ["Focus", "Focus", "Focus", "Focus", "Fiesta", "A3", "A3"],
    "year": [2018, 2018, 2019, None, 2018, 2020, 2020],
    "price": [10_000.0, 16_000, 14_000, 9_000, 8_000, 30_000, 32_000],
})


def test_the_baseline_takes_the_median_of_the_closest_group():
    baseline = Baseline.fit(HAND_SALES)
    rows = pd.DataFrame({
        "make": ["Ford", "ford", "Ford", "Ford", "Ford", "Ford", "Skoda", "Audi"],
        "model": ["Focus", "FOCUS", "Focus", "Focus", "Fiesta", "Kuga", "Octavia", "A3"],
        "year": [2018, 2019, 2017, None, 2018, 2018, 2018, 2020],
    }, index=list("abcdefgh"))

    assert baseline.predict(rows).to_dict() == {
        "a": 13_000,  # make/model/year
        "b": 14_000,  # the same, written differently
        "c": 12_000,  # no 2017 Focus: make/model
        "d": 12_000,  # no year: make/model
        "e": 8_000,
        "f": 10_000,  # no Kuga: make
        "g": 14_000,  # no Skoda: everything
        "h": 31_000,
    }


def test_the_baseline_ignores_the_frames_index():
    repeated = HAND_SALES.set_axis([1, 1, 1, 2, 2, 2, 2])
    rows = pd.DataFrame({"make": ["Ford", "Audi"], "model": ["Focus", "A3"], "year": [2018, 2020]}, index=[5, 5])
    assert Baseline.fit(repeated).predict(rows).tolist() == [13_000, 31_000]


def test_the_baseline_predicts_rows_without_a_year_column():
    assert Baseline.fit(HAND_SALES).predict(pd.DataFrame({"make": ["Ford"], "model": ["Focus"]})).tolist() == [12_000]


def test_metrics_by_hand():
    # Errors 10, 20, 0 -> MAE 10; relative 0.1, 0.1, 0 -> MAPE 0.0667; squared 100 + 400 = 500 against
    # a spread of 46,666.67 around the mean 233.33 -> R² 0.98929; 100 and 200 inside their intervals, 400 not.
    scored = evaluation.metrics(np.array([100.0, 200, 400]), np.array([110.0, 180, 400]),
                                np.array([90.0, 190, 300]), np.array([120.0, 210, 390]))
    assert scored.rows == 3
    assert scored.mae == pytest.approx(10)
    assert scored.mape == pytest.approx(0.2 / 3)
    assert scored.r2 == pytest.approx(1 - 500 / 46_666.667, abs=1e-6)
    assert scored.coverage == pytest.approx(2 / 3)
    assert scored.as_dict() == {
        "rows": 3, "mae": scored.mae, "mape": scored.mape, "r2": scored.r2, "coverage": scored.coverage,
    }


def test_holdout_split_holds_out_a_fifth_once(sales):
    training, test = evaluation.holdout_split(sales, fraction=0.2, seed=5)

    assert (len(training), len(test)) == (2_000, 500)
    assert training.index.intersection(test.index).empty
    assert training.index.union(test.index).equals(sales.index)
    assert evaluation.holdout_split(sales, fraction=0.2, seed=5)[1].index.equals(test.index)
    assert not evaluation.holdout_split(sales, fraction=0.2, seed=6)[1].index.equals(test.index)


def test_cross_validation_tests_every_row_once_per_fold(sales):
    data = sales.head(600)
    calls = []
    result = evaluation.cross_validate(data, folds=3, seed=2, progress=lambda done, total: calls.append((done, total)),
                                       max_iter=15)

    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert result.folds == 3 and len(result.per_fold) == 3
    assert [fold_model.rows for fold_model, _ in result.per_fold] == [200, 200, 200]
    assert result.model.rows == result.baseline.rows == 600
    # Pooled MAE is the row-weighted mean of the folds'.
    assert result.model.mae == pytest.approx(sum(fold.mae * fold.rows for fold, _ in result.per_fold) / 600)
    assert result.baseline.mae == pytest.approx(sum(fold.mae * fold.rows for _, fold in result.per_fold) / 600)
    # Each fold is a model and a baseline fitted on the other folds.
    fold_training, fold_test = evaluation.kfold_splits(data, folds=3, seed=2)[1]
    assert result.per_fold[1][0] == evaluation.evaluate(value.train(fold_training, seed=2, max_iter=15), fold_test)
    assert result.per_fold[1][1] == evaluation.evaluate_baseline(Baseline.fit(fold_training), fold_test)


def scored(mae: float, coverage: float | None) -> Metrics:
    return Metrics(rows=1_000, mae=mae, mape=0.1, r2=0.9, coverage=coverage)


def test_promotion_refuses_a_clearly_worse_model():
    promote, why = not_worse(scored(1_300, 0.8), scored(1_000, 0.8))
    assert not promote
    assert "1,300" in why and "1,000" in why and "+30.0%" in why and "2%" in why


def test_promotion_accepts_an_equal_or_slightly_worse_model():
    assert not_worse(scored(1_000, 0.8), scored(1_000, 0.8)) == (
        True,
        "MAE 1,000 against the current 1,000 (+0.0%); interval coverage 80.0% against 80.0% (nominal 80%): not worse.",
    )
    assert not_worse(scored(1_015, 0.79), scored(1_000, 0.8))[0]
    assert not not_worse(scored(1_025, 0.8), scored(1_000, 0.8))[0]
    assert not_worse(scored(1_025, 0.8), scored(1_000, 0.8), tolerance=0.05)[0]


def test_promotion_refuses_an_interval_that_stopped_covering():
    promote, why = not_worse(scored(900, 0.65), scored(1_000, 0.79))
    assert not promote
    assert why == ("MAE 900 against the current 1,000 (-10.0%), but its interval holds only 65.0% of prices "
                   "(nominal 80%, the current's 79.0%), below the 75% floor.")


def test_promotion_does_not_hold_a_low_coverage_against_a_current_as_low():
    assert not_worse(scored(900, 0.7), scored(1_000, 0.68))[0]
    # A current without an interval (the baseline) cannot excuse a candidate's poor one.
    assert not not_worse(scored(900, 0.6), scored(1_000, None))[0]
    assert not_worse(scored(900, 0.78), scored(1_000, None))[0]
