"""The value model's life in the database: trained on the warehouse, judged on sales it
never saw, promoted only when it is not worse than the model in use, and asked for
predictions by the lot and car pages.

The fitted model lives in its ValueModel row. Each process keeps the model in use in
memory and checks the version in the cache (caching.READS["valuation.model-in-use"]: two
Redis round trips), so a prediction is a lookup plus the model's own arithmetic.
"""

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from ifixit import caching
from ifixit.analytics.ml import evaluation, value
from ifixit.analytics.models import OWN_SOURCE, SaleFact, Valuation, ValueModel
from ifixit.analytics.valuation import tasks
from ifixit.jobs import outbox
from ifixit.money import to_cents

# The columns of a fact the model may learn from (ml.value picks its features among them).
COLUMNS = [
    "kind",
    "source",
    "make",
    "model",
    "trim",
    "year",
    "mileage",
    "sale_date",
    "condition",
    "fuel",
    "transmission",
    "drive",
    "body_type",
    "colour",
    "region",
    "price",
]
# Fewer sales than this and a held-out fifth says nothing about the model.
MIN_TRAINING_ROWS = 200

log = logging.getLogger(__name__)


def training_frame(
    *, max_rows: int | None = None, exclude_sources: tuple[str, ...] = (), exclude_sales: Collection[int] = ()
) -> pd.DataFrame:
    """The warehouse's facts as the model's input: the most recent `max_rows` of them
    (settings.VALUATION_MAX_TRAINING_ROWS), undated ones included (they still say what a
    car is worth)."""
    max_rows = max_rows or settings.VALUATION_MAX_TRAINING_ROWS
    facts = SaleFact.objects.exclude(source__in=exclude_sources)
    if exclude_sales:
        facts = facts.exclude(source=OWN_SOURCE, source_ref__in=[f"sale:{pk}" for pk in exclude_sales])
    facts = facts.order_by("-id").values_list(*COLUMNS)[:max_rows]
    frame = pd.DataFrame.from_records(list(facts), columns=COLUMNS)
    frame["price"] = frame["price"].astype(float)
    frame["sale_date"] = pd.to_datetime(frame["sale_date"])
    frame["year"] = frame["year"].astype("Int64")
    frame["mileage"] = frame["mileage"].astype("Int64")
    return frame


def _check_size(data: pd.DataFrame) -> None:
    if len(data) < MIN_TRAINING_ROWS:
        raise ValidationError(
            f"The warehouse holds {len(data):,} sales; the value model needs at least {MIN_TRAINING_ROWS:,} "
            "(import historical sales first)."
        )


def valuation_evaluate(
    *, folds: int = 5, max_rows: int | None = None, progress: Callable[[int, int], None] | None = None
) -> evaluation.CrossValidation:
    """k-fold cross-validated metrics of the model and of the baseline on the data in the
    database, training nothing that is kept."""
    data = training_frame(max_rows=max_rows)
    _check_size(data)
    return evaluation.cross_validate(data, folds=folds, progress=progress)


@dataclass(frozen=True)
class TrainingResult:
    model: ValueModel
    promoted: bool


def valuation_train(
    *,
    triggered_by: str,
    max_rows: int | None = None,
    exclude_sources: tuple[str, ...] = (),
    max_iter: int = value.MAX_ITER,
) -> TrainingResult:
    """Train a new version on four fifths of the warehouse, measure it and the baseline on
    the fifth it never saw, measure the model in use on that same fifth, and promote the
    new one only if it is not worse. Every version is kept with its figures, promoted or not."""
    started = time.monotonic()
    data = training_frame(max_rows=max_rows, exclude_sources=exclude_sources)
    _check_size(data)
    train, test = evaluation.holdout_split(data)
    model = value.train(train, max_iter=max_iter)
    metrics = evaluation.evaluate(model, test)
    baseline_metrics = evaluation.evaluate_baseline(evaluation.Baseline.fit(train), test)

    current = ValueModel.objects.filter(status=ValueModel.Status.PROMOTED).first()
    if current is None:
        promote, decision = True, "The first model: promoted."
    else:
        try:
            current_metrics = evaluation.evaluate(value.ValueModel.loads(bytes(current.artifact)), test)
        except Exception as exc:  # noqa: BLE001 (pickled by an older release of the code: it cannot be judged, nor served)
            log.warning("value model v%s cannot be evaluated any more: %r", current.version, exc)
            promote, decision = True, f"v{current.version} could not be loaded by this release of I-fixit: replaced."
        else:
            promote, decision = evaluation.not_worse(metrics, current_metrics)
            decision = f"Against v{current.version} on the same held-out sales: {decision}"

    with transaction.atomic():
        # Versions are numbered under a lock on the model in use, so two trainings that
        # finish together cannot both promote (the unique constraint would refuse anyway).
        if current is not None:
            current = (
                ValueModel.objects.select_for_update().filter(pk=current.pk, status=ValueModel.Status.PROMOTED).first()
            )
            if current is None and promote:
                raise ValidationError("Another training promoted a model meanwhile; train again to compare with it.")
        version = (ValueModel.objects.aggregate(top=Max("version"))["top"] or 0) + 1
        now = timezone.now()
        if promote and current is not None:
            current.status = ValueModel.Status.RETIRED
            current.save(update_fields=["status"])
        row = ValueModel.objects.create(
            version=version,
            status=ValueModel.Status.PROMOTED if promote else ValueModel.Status.REJECTED,
            trained_at=now,
            training_rows=len(train),
            held_out_rows=len(test),
            features=list(model.features),
            metrics=metrics.as_dict() | {"interval": model.interval},
            baseline_metrics=baseline_metrics.as_dict(),
            compared_with=current,
            decision=decision,
            duration_seconds=round(time.monotonic() - started, 2),
            triggered_by=triggered_by[:100],
            promoted_at=now if promote else None,
            artifact=model.dumps(),
        )
        if promote:
            caching.changed("value-model")  # every process asks for the new version once this commits
    return TrainingResult(model=row, promoted=promote)


def valuation_train_request(*, triggered_by: str) -> bool:
    """Queue a training ("Train now" on the value model page), unless one is already running:
    False then, and its result is the one to wait for."""
    if cache.get(tasks.TRAINING_LOCK) is not None:
        return False
    outbox.enqueue(tasks.train_value_model, kwargs={"triggered_by": triggered_by})
    return True


# -- predictions

_loaded: dict[int, value.ValueModel] = {}


def model_in_use() -> tuple[int, value.ValueModel] | None:
    """(version, model) of the promoted model, or None before the first training."""
    in_use = caching.READS["valuation.model-in-use"]
    version = in_use.get_or_compute(
        lambda: (
            ValueModel.objects.filter(status=ValueModel.Status.PROMOTED).values_list("version", flat=True).first() or 0
        )
    )
    if not version:
        return None
    if version not in _loaded:
        artifact = ValueModel.objects.filter(version=version).values_list("artifact", flat=True).first()
        if artifact is None:  # the database was reset under the cache
            in_use.forget()
            return None
        try:
            model = value.ValueModel.loads(bytes(artifact))
        except Exception:  # pickled by an older release: no advice until the next training replaces it
            log.exception("value model v%s cannot be loaded", version)
            return None
        _loaded.clear()  # one model in memory per process
        _loaded[version] = model
    return version, _loaded[version]


def resale_row(
    *,
    make: str,
    model: str,
    trim: str = "",
    year: int | None,
    mileage: int | None,
    fuel: str = "",
    transmission: str = "",
    body_type: str = "",
    colour: str = "",
) -> dict:
    """A car as the model sees it when the group sells it: one of our own retail sales,
    repaired to good condition."""
    return {
        "kind": SaleFact.Kind.OWN,
        "source": OWN_SOURCE,
        "make": make,
        "model": model,
        "trim": trim,
        "year": year,
        "mileage": mileage,
        "condition": "good",
        "fuel": fuel,
        "transmission": transmission,
        "drive": "",
        "body_type": body_type,
        "colour": colour,
        "region": "",
    }


def predict(row: dict, *, on: date | None = None) -> tuple[int, value.Prediction] | None:
    found = model_in_use()
    if found is None:
        return None
    version, model = found
    return version, model.predict_one(row, as_of=on or timezone.localdate())


def car_row(car) -> dict:
    return resale_row(
        make=car.make,
        model=car.model,
        trim=car.trim,
        year=car.year,
        mileage=car.mileage,
        fuel=car.fuel,
        transmission=car.transmission,
        body_type=car.body_type,
        colour=car.colour,
    )


def valuation_record(*, car_id: int) -> Valuation | None:
    """Keep what the model in use predicts for a car the group has just bought (expected to
    sell about settings.ADVICE_DEFAULT_DAYS_TO_SELL days later), once per car."""
    from ifixit.inventory.models import Car

    car = Car.objects.filter(pk=car_id).first()
    if car is None or Valuation.objects.filter(car_id=car_id).exists():
        return None
    bought = car.purchased_on or timezone.localdate()
    found = predict(car_row(car), on=bought + timedelta(days=settings.ADVICE_DEFAULT_DAYS_TO_SELL))
    if found is None:
        return None
    version, prediction = found
    model_id = ValueModel.objects.filter(version=version).values_list("pk", flat=True).first()
    try:
        with transaction.atomic():
            return Valuation.objects.create(
                car=car,
                model_id=model_id,
                model_version=version,
                predicted=to_cents(prediction.mid),
                low=to_cents(prediction.low),
                high=to_cents(prediction.high),
            )
    except IntegrityError:  # recorded meanwhile by a twin task
        return None
