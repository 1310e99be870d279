"""Make the variants of every car photo that has none yet (or whose last try failed).

Resumable: each photo is recorded ready as soon as its variants are made, so a run that is
stopped picks up where it left off; safe to run twice (a photo that is ready is not touched,
and the names are content-hashed). `--queue` hands the photos to the workers instead."""

from django.core.management.base import BaseCommand

from ifixit.inventory.services import photos as photo_services
from ifixit.jobs import outbox


class Command(BaseCommand):
    help = "Make missing photo variants here, with progress (or --queue them for the workers)."

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="Ask the workers through the outbox instead.")

    def handle(self, *args, queue: bool = False, **options):
        ids = list(photo_services.photos_without_variants().values_list("pk", flat=True))
        if queue:
            for pk in ids:
                outbox.enqueue(photo_services.MAKE_VARIANTS_TASK, [pk], about=f"inventory.carphoto:{pk}")
            self.stdout.write(f"{len(ids)} photos queued for their variants.")
            return
        failed = 0
        for done, pk in enumerate(ids, start=1):
            outcome = photo_services.photo_variants_make(photo_id=pk)
            failed += outcome.state == "failed"
            line = f"{done}/{len(ids)} photo {pk}: {outcome.state}"
            self.stdout.write(line + (f" ({outcome.error})" if outcome.error else ""))
        self.stdout.write(f"{len(ids)} photos processed, {failed} failed.")
