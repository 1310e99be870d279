"""Stored photos checked again by today's rule (ifixit.uploads.check_image).

Photos uploaded before names were generated kept the uploader's name, so a JPEG could sit
as `holiday.html` or `.svg`. Each stored photo is read again: one that passes and is not
yet under a generated name of its real format is copied to one and the old file removed
once the change is committed; one that fails (a polyglot, a truncated file, a bomb, no
image at all) leaves the car's photos, its file kept aside under quarantine/ as `.bin`.
Every change is a PhotoFileChange row. Run by migration 0006 and `manage.py photos_recheck`;
running it again changes nothing that is already right.

It takes the model classes as arguments so that the migration can pass its historical ones.
"""

import re
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from ifixit.uploads import check_image

GENERATED = re.compile(r"^cars/\d+/[0-9a-f]{32}\.(jpg|png|webp|heic|avif)$")


@dataclass
class Recheck:
    checked: int = 0
    renamed: list[tuple[str, str]] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def recheck_photos(CarPhoto, PhotoFileChange, *, dry_run: bool = False, storage=default_storage) -> Recheck:
    result = Recheck()
    for photo in CarPhoto.objects.order_by("pk").iterator():
        result.checked += 1
        old_name = photo.image.name
        try:
            with storage.open(old_name, "rb") as handle:
                data = handle.read()
        except (FileNotFoundError, OSError):
            result.missing.append(old_name)
            continue
        try:
            checked = check_image(ContentFile(data, name="photo"))
        except ValidationError as exc:
            reason = " ".join(exc.messages)[:300]
            new_name = f"quarantine/cars/{photo.car_id}/{uuid.uuid4().hex}.bin"
            result.quarantined.append((old_name, reason))
            if not dry_run:
                new_name = storage.save(new_name, ContentFile(data))
                PhotoFileChange.objects.create(
                    car_id=photo.car_id, photo_id=photo.pk, action="quarantined", old_name=old_name, new_name=new_name,
                    reason=reason,
                )
                photo.delete()
                _delete_after_commit(storage, old_name)
            continue
        if GENERATED.match(old_name) and old_name.endswith("." + checked.extension):
            continue
        new_name = f"cars/{photo.car_id}/{uuid.uuid4().hex}.{checked.extension}"
        result.renamed.append((old_name, new_name))
        if not dry_run:
            new_name = storage.save(new_name, ContentFile(data))
            CarPhoto.objects.filter(pk=photo.pk).update(image=new_name, width=checked.width, height=checked.height)
            PhotoFileChange.objects.create(
                car_id=photo.car_id, photo_id=photo.pk, action="renamed", old_name=old_name, new_name=new_name,
                reason=f"Stored as {old_name.rsplit('/', 1)[-1]}; the file is a {checked.format} image.",
            )
            _delete_after_commit(storage, old_name)
    return result


def _delete_after_commit(storage, name: str) -> None:
    # Only once the new name is committed: a rolled-back run still finds its old files.
    transaction.on_commit(lambda: storage.delete(name))
