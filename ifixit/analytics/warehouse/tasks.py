"""Celery tasks of the warehouse: they load and call a service. An import is acknowledged
late and rejected if its worker dies, so the broker hands it on; the batch's own claim
(a conditional update from queued) makes sure it is imported once. Only a message the
broker redelivered (its worker died mid-import) may take over a running batch: the import
is idempotent, so starting it again completes it without counting a sale twice.

Each task keeps the name it was registered under when analytics' tasks lived in one
module: beat's schedules (ifixit/schedules.py) and messages already queued name it so.
The analytics app's ready() imports this module, since Celery looks for tasks only in
an app's top-level tasks module."""

from celery import shared_task

from ifixit.analytics.warehouse import imports


@shared_task(name="ifixit.analytics.tasks.run_import", bind=True, acks_late=True, reject_on_worker_lost=True)
def run_import(self, batch_id: int) -> str | None:
    """Queued through the outbox when a file is uploaded. Safe twice: the batch is claimed by a
    conditional update from queued (from running too, for a redelivery only), and a sale
    already in the warehouse (its unique source and source_ref) is counted a duplicate, not stored again."""
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    batch = imports.import_run(batch_id, resume=redelivered)
    return batch.status if batch else None


@shared_task(name="ifixit.analytics.tasks.refresh_warehouse")
def refresh_warehouse() -> dict:
    """Queued by beat: new own sales and sold lots become facts, and the rollups of the
    months they (and any import) touched are recomputed, resuming where the last run stopped.
    Safe twice: facts are added with ignore_conflicts on their unique (source, source_ref), and a
    month's rollup is recomputed from all its facts under the checkpoint's lock, never added to."""
    from ifixit.analytics.warehouse import services as warehouse

    synced = warehouse.facts_sync()
    return {"sales": synced.sales, "lots": synced.lots, "months": warehouse.rollups_refresh()}
