"""Celery tasks of the value model: they load and call a service.

Each task keeps the name it was registered under when analytics' tasks lived in one
module: beat's schedules (ifixit/schedules.py) and messages already queued name it so.
The analytics app's ready() imports this module, since Celery looks for tasks only in
an app's top-level tasks module."""

from celery import shared_task

# One training at a time across workers: a second would only measure the same data again.
TRAINING_LOCK = "valuation:training"
TRAINING_LOCK_SECONDS = 2 * 60 * 60


@shared_task(name="ifixit.analytics.tasks.train_value_model")
def train_value_model(triggered_by: str = "schedule") -> dict | None:
    """Queued by beat nightly and by "Train now" on the value model page."""
    from django.core.cache import cache
    from django.core.exceptions import ValidationError

    from ifixit.analytics.valuation import services as valuation

    if not cache.add(TRAINING_LOCK, triggered_by, TRAINING_LOCK_SECONDS):
        return None
    try:
        result = valuation.valuation_train(triggered_by=triggered_by)
    except ValidationError as exc:  # too little data yet: nothing to train, nothing broken
        return {"skipped": " ".join(exc.messages)}
    finally:
        cache.delete(TRAINING_LOCK)
    return {"version": result.model.version, "promoted": result.promoted}


@shared_task(name="ifixit.analytics.tasks.record_valuation")
def record_valuation(car_id: int) -> int | None:
    """Queued when a car is bought: keep what the model in use expects it to sell for."""
    from ifixit.analytics.valuation import services as valuation

    recorded = valuation.valuation_record(car_id=car_id)
    return recorded.pk if recorded else None
