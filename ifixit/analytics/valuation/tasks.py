"""Celery tasks of the value model: they load and call a service.

Each task keeps the name it was registered under when analytics' tasks lived in one
module: beat's schedules (ifixit/schedules.py) and messages already queued name it so.
The analytics app's ready() imports this module, since Celery looks for tasks only in
an app's top-level tasks module."""

import uuid

from celery import shared_task

# One training at a time across workers: a second would only measure the same data again.
TRAINING_LOCK = "valuation:training"
TRAINING_LOCK_SECONDS = 2 * 60 * 60


@shared_task(name="ifixit.analytics.tasks.train_value_model", bind=True)
def train_value_model(self, triggered_by: str = "schedule") -> dict | None:
    """Queued by beat nightly and by "Train now" on the value model page.

    Safe twice: the lock in the cache, named by the task id, lets one training run at a time
    (a second message finds it taken and does nothing), while a redelivery of the same task
    (its worker was killed mid-training, the lock left behind) takes its own lock over rather
    than wait two hours; a training run again later only adds a version, promoted only if it is
    not worse than the one in use."""
    from django.core.cache import cache
    from django.core.exceptions import ValidationError

    from ifixit.analytics.valuation import services as valuation

    holder = self.request.id or uuid.uuid4().hex
    if not cache.add(TRAINING_LOCK, holder, TRAINING_LOCK_SECONDS) and cache.get(TRAINING_LOCK) != holder:
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
    """Queued when a car is bought: keep what the model in use expects it to sell for. Safe
    twice: a car has one valuation (a one-to-one row); a second run finds it and does nothing,
    and a twin running at the same moment meets the unique constraint and does nothing."""
    from ifixit.analytics.valuation import services as valuation

    recorded = valuation.valuation_record(car_id=car_id)
    return recorded.pk if recorded else None
