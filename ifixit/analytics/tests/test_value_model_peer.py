"""The value model against its peer: `valuation_train --evaluate` reports the model, the plain
scikit-learn peer and the median baseline on the same folds; and a model saved by the release
before category codes and the blend still loads and predicts as it did."""

import io
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from sklearn.ensemble import HistGradientBoostingRegressor

from ifixit.analytics import synthetic
from ifixit.analytics.ml import evaluation, value
from ifixit.analytics.ml.features import FeatureEncoder
from ifixit.analytics.models import SaleFact
from ifixit.analytics.valuation import services as valuation

COLUMNS = [name for name in valuation.COLUMNS if name != "price"]


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    facts = synthetic.facts(count=1_500, seed=4)
    frame = pd.DataFrame(
        [{name: getattr(fact, name) for name in COLUMNS} | {"price": float(fact.price)} for fact in facts]
    )
    frame["sale_date"] = pd.to_datetime(frame["sale_date"])
    return frame


def test_the_peer_learns_the_market_without_an_interval(sales):
    training, test = evaluation.holdout_split(sales, seed=1)
    peer = evaluation.evaluate_peer(evaluation.Peer.fit(training), test)
    baseline = evaluation.evaluate_baseline(evaluation.Baseline.fit(training), test)

    assert peer.rows == 300 and peer.coverage is None
    assert peer.mae < 0.8 * baseline.mae


def test_the_peer_keeps_the_most_frequent_categories_and_reads_the_rest_as_missing(sales):
    many = sales.head(600).copy()
    many["trim"] = [f"T{i % 300}" for i in range(600)]
    peer = evaluation.Peer.fit(many)

    assert len(peer.categories["trim"]) == evaluation.Peer.MAX_CATEGORIES
    assert np.isfinite(peer.predict(many.head(5).assign(trim="never seen"))).all()


def test_cross_validation_fits_model_peer_and_baseline_on_the_same_folds(sales):
    result = evaluation.cross_validate(sales.head(600), folds=3, seed=2, max_iter=30)
    fold_training, fold_test = evaluation.kfold_splits(sales.head(600), folds=3, seed=2)[1]

    assert result.peer.rows == result.model.rows == result.baseline.rows == 600
    assert result.peer_per_fold[1] == evaluation.evaluate_peer(evaluation.Peer.fit(fold_training, seed=2), fold_test)
    assert set(result.train_seconds) == {"model", "peer", "baseline"}
    assert all(seconds >= 0 for seconds in result.train_seconds.values())
    assert result.gain(result.peer) == pytest.approx(1 - result.model.mae / result.peer.mae)
    assert evaluation.cross_validate(sales.head(300), folds=2, max_iter=10, peer=False).peer is None


def test_the_command_reports_model_peer_and_baseline(sales, db):
    SaleFact.objects.bulk_create(synthetic.facts(count=800, seed=5))
    out = io.StringIO()
    call_command("valuation_train", "--evaluate", "--folds", "2", stdout=out)
    text = out.getvalue()

    assert "2-fold cross-validation on 800 sales:" in text and "training time summed over the folds" in text
    peer_line = re.search(r"^  peer .*$", text, re.MULTILINE).group(0)
    assert "interval coverage   n/a" in peer_line and re.search(r"training [\d.]+ s", peer_line)
    assert re.search(r"^  model .*interval coverage\s+\d+\.\d%  training", text, re.MULTILINE)
    assert re.search(r"The model's MAE is [\d.]+% (better|worse) than the peer's\.", text)
    assert "better than the baseline's." in text


def old_release_model(data: pd.DataFrame) -> value.ValueModel:
    """A model as the release before category codes and the blend saved it: the quantile
    boostings on the numbers and encodings alone, with neither attribute on the objects."""
    data = value.usable_rows(data)
    target = np.log(data["price"].to_numpy(dtype=float))
    encoder, matrix = FeatureEncoder.fit_transform(data, target)
    matrix = matrix[:, : len(encoder.columns)]
    regressors = tuple(
        HistGradientBoostingRegressor(loss="quantile", quantile=q, max_iter=30, random_state=0).fit(matrix, target)
        for q in (0.1, 0.5, 0.9)
    )
    del encoder.__dict__["native"]
    model = value.ValueModel(
        encoder=encoder,
        regressors=regressors,
        widening=0.05,
        interval=0.8,
        trained_rows=len(data),
        reference_date=data["sale_date"].max().date(),
    )
    del model.__dict__["blend"], model.__dict__["interval_columns"]
    return model


def test_a_model_saved_by_the_previous_release_still_loads_and_predicts(sales):
    old = old_release_model(sales.head(800))
    loaded = value.ValueModel.loads(old.dumps())
    rows = sales.tail(20).drop(columns="price")

    assert not {"blend", "interval_columns"} & set(vars(loaded)) and "native" not in vars(loaded.encoder)
    predicted = loaded.predict(rows)
    one_by_one = [loaded.predict_one(row) for row in rows.to_dict("records")]
    np.testing.assert_allclose(predicted["mid"].to_numpy(), [p.mid for p in one_by_one])
    # The old quantiles' answers, as before: no codes and no blend were added to them.
    matrix = old.encoder.transform(rows, reference=date.today())
    low, mid, high = (regressor.predict(matrix) for regressor in old.regressors)
    expected = np.exp(np.sort(np.column_stack([low - 0.05, mid, high + 0.05]), axis=1))
    np.testing.assert_allclose(predicted[["low", "mid", "high"]].to_numpy(), expected)
