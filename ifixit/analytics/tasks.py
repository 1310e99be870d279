"""Celery tasks of analytics: they load and call a service. An import is acknowledged
late and rejected if its worker dies, so the broker hands it on; the batch's own claim
(a conditional update from queued) makes sure it is imported once. Only a message the
broker redelivered (its worker died mid-import) may take over a running batch: the import
is idempotent, so starting it again completes it without counting a sale twice."""

from celery import shared_task

from ifixit.analytics import services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def run_import(self, batch_id: int) -> str | None:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    batch = services.import_run(batch_id, resume=redelivered)
    return batch.status if batch else None


@shared_task
def refresh_warehouse() -> dict:
    """Queued by beat: new own sales and sold lots become facts, and the rollups of the
    months they (and any import) touched are recomputed, resuming where the last run stopped."""
    from ifixit.analytics import warehouse

    synced = warehouse.facts_sync()
    return {"sales": synced.sales, "lots": synced.lots, "months": warehouse.rollups_refresh()}


# One training at a time across workers: a second would only measure the same data again.
TRAINING_LOCK = "valuation:training"
TRAINING_LOCK_SECONDS = 2 * 60 * 60


@shared_task
def train_value_model(triggered_by: str = "schedule") -> dict | None:
    """Queued by beat nightly and by "Train now" on the value model page."""
    from django.core.cache import cache
    from django.core.exceptions import ValidationError

    from ifixit.analytics import valuation

    if not cache.add(TRAINING_LOCK, triggered_by, TRAINING_LOCK_SECONDS):
        return None
    try:
        result = valuation.valuation_train(triggered_by=triggered_by)
    except ValidationError as exc:  # too little data yet: nothing to train, nothing broken
        return {"skipped": " ".join(exc.messages)}
    finally:
        cache.delete(TRAINING_LOCK)
    return {"version": result.model.version, "promoted": result.promoted}


@shared_task
def record_valuation(car_id: int) -> int | None:
    """Queued when a car is bought: keep what the model in use expects it to sell for."""
    from ifixit.analytics import valuation

    recorded = valuation.valuation_record(car_id=car_id)
    return recorded.pk if recorded else None
