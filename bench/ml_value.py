"""The value model at the design's scale: `python bench/ml_value.py [--rows 100000]`.

Builds synthetic market history (ifixit.analytics.synthetic: 25 makes and models, four
sources, a seasonal swing, 0.4% outliers, 1% undated), then measures training time, the
stored model's size, predict_one latency (p50/p95 over 1,000 calls), batch prediction
throughput, and 5-fold cross-validated accuracy of the model against the make/model/year
median baseline. `measure()` returns the numbers and prints nothing (bench/ml.py calls it).
Timing lives here, never in tests.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = 1


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def synthetic_sales(rows: int, *, seed: int = SEED):
    """The synthetic facts as the frame a selector would build (columns of SaleFact, price a float)."""
    from django.apps import apps

    if not apps.ready:  # synthetic builds unsaved SaleFact objects, which need the app registry
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")
        os.environ.setdefault("IFIXIT_VAR_DIR", str(ROOT / "var" / "bench-ml"))
        import django

        django.setup()
    import pandas as pd

    from ifixit.analytics import synthetic

    columns = ["kind", "source", "make", "model", "trim", "year", "mileage", "sale_date", "condition", "fuel",
               "transmission", "drive", "body_type", "colour", "region"]
    records = [
        {column: getattr(fact, column) for column in columns} | {"price": float(fact.price)}
        for fact in synthetic.facts(count=rows, seed=seed)
    ]
    frame = pd.DataFrame(records)
    frame["sale_date"] = pd.to_datetime(frame["sale_date"])
    frame["year"] = frame["year"].astype("Int64")
    return frame


def measure(rows: int = 100_000, *, folds: int = 5) -> dict:
    from ifixit.analytics.ml import evaluation, value

    started = time.perf_counter()
    data = synthetic_sales(rows)
    generate_seconds = time.perf_counter() - started

    started = time.perf_counter()
    model = value.train(data, seed=SEED)
    train_seconds = time.perf_counter() - started

    started = time.perf_counter()
    artifact = model.dumps()
    dumps_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model = value.ValueModel.loads(artifact)
    loads_seconds = time.perf_counter() - started

    # Lots as a page would ask about them: recent, some without a date, valued as of tomorrow.
    as_of = model.reference_date + timedelta(days=1)
    lots = data.drop(columns="price").sample(n=min(1_000, rows), random_state=SEED).to_dict("records")
    model.predict_one(lots[0], as_of=as_of)  # the first call loads the thread controller
    # Wall time is what a page waits; CPU time is the same call without other processes' share of the cores.
    latencies, cpu_times = [], []
    for lot in lots:
        started, cpu_started = time.perf_counter(), time.process_time()
        model.predict_one(lot, as_of=as_of)
        latencies.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu_started) * 1000)

    features = data.drop(columns="price")
    started = time.perf_counter()
    model.predict(features, as_of=as_of)
    batch_seconds = time.perf_counter() - started

    started = time.perf_counter()
    validation = evaluation.cross_validate(data, folds=folds, seed=SEED)
    cross_validate_seconds = time.perf_counter() - started

    return {
        "rows": rows,
        "generate_seconds": round(generate_seconds, 2),
        "train_seconds": round(train_seconds, 2),
        "boosting_rounds": [regressor.n_iter_ for regressor in model.regressors],
        "features": model.features,
        "model_bytes": len(artifact),
        "dumps_seconds": round(dumps_seconds, 3),
        "loads_seconds": round(loads_seconds, 3),
        "predict_one_p50_ms": round(percentile(latencies, 0.5), 2),
        "predict_one_p95_ms": round(percentile(latencies, 0.95), 2),
        "predict_one_max_ms": round(max(latencies), 2),
        "predict_one_cpu_p50_ms": round(percentile(cpu_times, 0.5), 2),
        "predict_one_cpu_p95_ms": round(percentile(cpu_times, 0.95), 2),
        "batch_rows_per_second": round(rows / batch_seconds),
        "cv_folds": folds,
        "cv_seconds": round(cross_validate_seconds, 1),
        "cv_model": validation.model.as_dict(),
        "cv_baseline": validation.baseline.as_dict(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    result = measure(args.rows, folds=args.folds)
    for name, number in result.items():
        if isinstance(number, dict):
            number = ", ".join(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"
                               for key, value in number.items())
        print(f"{name}: {number}")


if __name__ == "__main__":
    main()
