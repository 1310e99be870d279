"""Celery tasks of inventory: they only call a service."""

from celery import shared_task

from ifixit.inventory import services


@shared_task
def check_repair_times() -> dict[str, int]:
    """Queued by beat every hour: at-risk and overdue alerts for cars in fixing. Safe twice:
    every alert carries a dedupe key naming the car, its stay in fixing and the stage (and the
    week, for reminders), and the notification's unique constraint makes it once per person."""
    return services.repair_times_check()


@shared_task(name="ifixit.inventory.tasks.make_photo_variants")
def make_photo_variants(photo_id: int) -> dict:
    """Queued (through the outbox) when a photo is added, by the backfill and by its migration:
    the photo's resized, metadata-free variants. Safe twice: encoding is deterministic and each
    file is named by a hash of its bytes, so a second run finds every file already there and
    skips it, then replaces the photo's variant rows with the same rows in one transaction; a
    run killed half-way left files but no rows, and the retry completes them under the same names."""
    from ifixit.inventory.services.photos import photo_variants_make

    outcome = photo_variants_make(photo_id=photo_id)
    return {"photo": outcome.photo_id, "state": outcome.state, "written": outcome.written, "error": outcome.error}
