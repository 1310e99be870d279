"""The value model at the design's scale: `python bench/ml_value.py [--rows 100000]`.

Builds synthetic market history (ifixit.analytics.synthetic: 25 makes and models, four
sources, a seasonal swing, 0.4% outliers, 1% undated), then measures training time, the
stored model's size, predict_one latency (p50/p95 over 1,000 calls), batch prediction
throughput, and 5-fold cross-validated accuracy of the model against the make/model/year
median baseline and the plain scikit-learn peer (ml.evaluation.Peer), all on the same folds.
With --datasets DIR, the same cross-validation on each public listing file of DATASETS found
there (read through the importer's mapping check and row reader). `measure()` and
`measure_dataset()` return the numbers and print nothing (bench/ml.py calls them).
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
# The columns of a warehouse fact the model may learn from (with the price), as the selector builds them.
SALE_COLUMNS = ["kind", "source", "make", "model", "trim", "year", "mileage", "sale_date", "condition", "fuel",
                "transmission", "drive", "body_type", "colour", "region"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def setup_django() -> None:
    """The app registry: synthetic builds unsaved SaleFact objects, and the row reader imports the models."""
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")
        os.environ.setdefault("IFIXIT_VAR_DIR", str(ROOT / "var" / "bench-ml"))
        import django

        django.setup()


def synthetic_sales(rows: int, *, seed: int = SEED):
    """The synthetic facts as the frame a selector would build (columns of SaleFact, price a float)."""
    setup_django()
    import pandas as pd

    from ifixit.analytics import synthetic

    records = [
        {column: getattr(fact, column) for column in SALE_COLUMNS} | {"price": float(fact.price)}
        for fact in synthetic.facts(count=rows, seed=seed)
    ]
    frame = pd.DataFrame(records)
    frame["sale_date"] = pd.to_datetime(frame["sale_date"])
    frame["year"] = frame["year"].astype("Int64")
    return frame


# Public used-car listing files (none committed: where each comes from is in bench/README.md),
# with the import mapping each needs, as `manage.py import_sales FILE --mapping` takes it.
UK_LISTINGS = {
    "make": "make", "model": "model", "year": "year", "price": "price", "transmission": "transmission",
    "mileage": "mileage", "fuel": "fuelType", "source": "UK listings", "kind": "retail",
}
DATASETS = {
    "uk-toyota.csv": UK_LISTINGS,
    "uk-bmw.csv": UK_LISTINGS,
    "uk-ford.csv": UK_LISTINGS,
    "uk-hyundi.csv": UK_LISTINGS,
    # CarDekho (India): make, model and trim in one column, prices in rupees, km; the seller
    # (individual, dealer, trustmark dealer) is where the sale happened. 1 INR = 0.0095 GBP.
    "india-cardekho.csv": {
        "make_model": "name", "year": "year", "price": "selling_price", "mileage": "km_driven", "mileage_unit": "km",
        "fuel": "fuel", "transmission": "transmission", "source": {"column": "seller_type"}, "currency": "INR",
        "rate": "0.0095", "kind": "retail",
    },
}


def dataset_frame(path: Path, mapping: dict):
    """A listing file read as import_sales reads it (the same mapping check and row reader),
    as the frame the warehouse's selector would build; bad rows are left out, as an import
    leaves them out, and counted."""
    setup_django()
    import pandas as pd
    from django.conf import settings
    from django.utils import timezone

    from ifixit.analytics.warehouse import mappings, tables
    from ifixit.analytics.warehouse.rows import RowReader

    with path.open("rb") as file, tables.open_table(file, path.name) as table:
        parsed = mappings.mapping_parse(mapping, table.header, currency=settings.CURRENCY)
        reader = RowReader(parsed, table.header, currency=settings.CURRENCY, today=timezone.localdate())
        rows = [reader.read(number, values) for number, values in table.rows()]
    facts = [row.fact for row in rows if row.fact is not None]
    frame = pd.DataFrame(facts, columns=[*SALE_COLUMNS, "price"])
    frame["price"] = frame["price"].astype(float)
    frame["sale_date"] = pd.to_datetime(frame["sale_date"])
    frame["year"] = frame["year"].astype("Int64")
    frame["mileage"] = frame["mileage"].astype("Int64")
    return frame, len(rows) - len(facts)


def measure_dataset(path: Path, *, folds: int = 5) -> dict:
    """Model, peer and baseline cross-validated on the same folds of one listing file."""
    from ifixit.analytics.ml import evaluation

    frame, bad_rows = dataset_frame(path, DATASETS[path.name])
    validation = evaluation.cross_validate(frame, folds=folds, seed=SEED)
    return {"rows": len(frame), "bad_rows": bad_rows, **cross_validation_figures(validation)}


def cross_validation_figures(validation) -> dict:
    figures = {
        "cv_folds": validation.folds,
        "cv_model": validation.model.as_dict(),
        "cv_peer": validation.peer.as_dict() if validation.peer else None,
        "cv_baseline": validation.baseline.as_dict(),
        "cv_train_seconds": validation.train_seconds,
    }
    for name, other in (("peer", validation.peer), ("baseline", validation.baseline)):
        gain = validation.gain(other)
        figures[f"mae_below_{name}"] = None if gain is None else f"{gain:.1%}"
    return figures


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
        "cv_seconds": round(cross_validate_seconds, 1),
        **cross_validation_figures(validation),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--datasets", type=Path, help="A folder holding public listing files named as in DATASETS.")
    args = parser.parse_args()
    show(measure(args.rows, folds=args.folds))
    for path in dataset_paths(args.datasets):
        print(f"{path.name}:")
        show(measure_dataset(path, folds=args.folds))


def dataset_paths(folder: Path | None) -> list[Path]:
    """The files of DATASETS that the folder holds, in DATASETS' order."""
    if folder is None:
        return []
    return [folder / name for name in DATASETS if (folder / name).is_file()]


def show(result: dict) -> None:
    for name, number in result.items():
        if isinstance(number, dict):
            number = ", ".join(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"
                               for key, value in number.items())
        print(f"  {name}: {number}")


if __name__ == "__main__":
    main()
