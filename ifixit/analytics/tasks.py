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
