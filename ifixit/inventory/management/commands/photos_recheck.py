"""Check every stored car photo again by today's upload rule; rename or set aside what fails."""

from django.core.management.base import BaseCommand
from django.db import transaction

from ifixit.inventory.models import CarPhoto, PhotoFileChange
from ifixit.inventory.photo_recheck import recheck_photos


class Command(BaseCommand):
    help = (
        "Read every stored car photo again: one kept under a name that is not its real format is renamed, "
        "one that is no longer accepted (not an image, cut short, too many pixels, holding web-page code) is "
        "taken out of the car's photos and kept under quarantine/. Each change is recorded (PhotoFileChange)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what would change and change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        with transaction.atomic():
            result = recheck_photos(CarPhoto, PhotoFileChange, dry_run=dry_run)
        verb = "would be" if dry_run else "were"
        for old, new in result.renamed:
            self.stdout.write(f"renamed      {old} -> {new}")
        for old, reason in result.quarantined:
            self.stdout.write(f"quarantined  {old}: {reason}")
        for name in result.missing:
            self.stderr.write(f"missing      {name} (the photo's file is not in storage)")
        self.stdout.write(
            f"{result.checked} photos checked: {len(result.renamed)} {verb} renamed, "
            f"{len(result.quarantined)} {verb} quarantined, {len(result.missing)} missing."
        )
