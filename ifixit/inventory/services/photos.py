"""A car's photos: adding one (through the upload check, ifixit.uploads), arranging the gallery
(order, the primary photo, captions), deleting, and making a photo's variants (the worker's part,
ifixit.inventory.tasks.make_photo_variants).

Arranging needs the permission to add photos (whoever photographs a car puts its gallery in
order); deleting needs `inventory.delete_carphoto`. Every write locks the car through the
user's scoped query first, so a user acts only on the cars of their locations.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max

from ifixit.accounts.models import User
from ifixit.inventory.models import CarPhoto, CarPhotoVariant
from ifixit.inventory.photos.storage import variant_name, variant_storage
from ifixit.inventory.photos.variants import render_variants
from ifixit.inventory.services.cars import _locked_car, _require
from ifixit.jobs import outbox
from ifixit.uploads import check_image

MAKE_VARIANTS_TASK = "ifixit.inventory.tasks.make_photo_variants"


def _photo_of(car, photo_id: int) -> CarPhoto:
    try:
        return car.photos.get(pk=photo_id)
    except CarPhoto.DoesNotExist:
        raise CarPhoto.DoesNotExist(f"No photo {photo_id} of car {car.pk}.") from None


@transaction.atomic
def car_photo_add(*, user: User, car_id: int, image: UploadedFile, caption: str = "") -> CarPhoto:
    """Store the checked original privately and ask a worker for its variants (through the
    outbox: asked for only if this commits). The car's first photo becomes its primary one."""
    _require(user, "inventory.add_carphoto")
    car = _locked_car(user, car_id)
    checked = check_image(image)
    last = car.photos.aggregate(last=Max("position"))["last"]
    photo = CarPhoto(
        car=car,
        caption=caption.strip(),
        uploaded_by=user,
        width=checked.width,
        height=checked.height,
        position=0 if last is None else last + 1,
        is_primary=not car.photos.filter(is_primary=True).exists(),
    )
    photo.full_clean(exclude=["image"])  # everything is checked before a byte is stored
    # The stored name is generated (car_photo_path) with the extension of the detected
    # format; the uploader's file name is not kept anywhere.
    photo.image.save(f"photo.{checked.extension}", ContentFile(checked.data), save=False)
    photo.width, photo.height = checked.width, checked.height  # the field's own re-read may not know HEIC
    try:
        photo.save()
        outbox.enqueue(MAKE_VARIANTS_TASK, [photo.pk], about=photo)
    except BaseException:
        photo.image.storage.delete(photo.image.name)  # the row is not there: neither is its file
        raise
    return photo


@transaction.atomic
def car_photo_update(*, user: User, car_id: int, photo_id: int, caption: str) -> CarPhoto:
    _require(user, "inventory.add_carphoto")
    photo = _photo_of(_locked_car(user, car_id), photo_id)
    photo.caption = caption.strip()
    photo.full_clean(exclude=["image"])
    photo.save(update_fields=["caption"])
    return photo


@transaction.atomic
def car_photo_make_primary(*, user: User, car_id: int, photo_id: int) -> CarPhoto:
    _require(user, "inventory.add_carphoto")
    car = _locked_car(user, car_id)
    photo = _photo_of(car, photo_id)
    car.photos.filter(is_primary=True).exclude(pk=photo.pk).update(is_primary=False)  # first: one primary per car
    CarPhoto.objects.filter(pk=photo.pk).update(is_primary=True)
    photo.is_primary = True
    return photo


@transaction.atomic
def car_photo_reorder(*, user: User, car_id: int, photo_ids: list[int]) -> list[CarPhoto]:
    """Put the gallery in this order: every photo of the car, each once."""
    _require(user, "inventory.add_carphoto")
    car = _locked_car(user, car_id)
    photos = {photo.pk: photo for photo in car.photos.all()}
    if sorted(photo_ids) != sorted(photos):
        raise ValidationError({"photo_ids": "List every photo of this car once, in the new order."})
    for position, pk in enumerate(photo_ids):
        photos[pk].position = position
    CarPhoto.objects.bulk_update(photos.values(), ["position"])
    return [photos[pk] for pk in photo_ids]


@transaction.atomic
def car_photo_move(*, user: User, car_id: int, photo_id: int, offset: int) -> list[CarPhoto]:
    """Move a photo `offset` places (-1: one earlier, 1: one later), as the page's buttons do."""
    car = _locked_car(user, car_id)
    order = list(car.photos.values_list("pk", flat=True))
    if photo_id not in order:
        raise CarPhoto.DoesNotExist(f"No photo {photo_id} of car {car.pk}.")
    index = order.index(photo_id)
    order.insert(max(0, min(len(order) - 1, index + offset)), order.pop(index))
    return car_photo_reorder(user=user, car_id=car_id, photo_ids=order)


@transaction.atomic
def car_photo_delete(*, user: User, car_id: int, photo_id: int) -> None:
    """Delete the photo and, once that commits, its files. If it was the primary photo, the
    next one in the gallery takes its place."""
    _require(user, "inventory.delete_carphoto")
    car = _locked_car(user, car_id)
    photo = _photo_of(car, photo_id)
    original = photo.image.name
    variants = list(photo.variants.values_list("name", flat=True))
    was_primary = photo.is_primary
    photo.delete()
    if was_primary:
        successor = car.photos.order_by("position", "uploaded_at", "id").first()
        if successor is not None:
            CarPhoto.objects.filter(pk=successor.pk).update(is_primary=True)
    transaction.on_commit(lambda: _delete_files(original, variants))


def _delete_files(original: str, variants: list[str]) -> None:
    from django.core.files.storage import default_storage

    default_storage.delete(original)
    storage = variant_storage()
    for name in variants:
        storage.delete(name)


# --- Variants (the worker's part) ------------------------------------------------------------


@dataclass
class VariantsOutcome:
    photo_id: int
    state: str
    written: int = 0  # files written by this run (0 on a second run: all were there)
    error: str = ""


def photo_variants_make(*, photo_id: int) -> VariantsOutcome:
    """Make every variant of a photo and record them, or record why it cannot be done.

    Files first, rows after, in one transaction: a run that dies between the two leaves the
    photo `pending` (the page shows a placeholder) and the files it wrote are rewritten under
    the same names by the retry. A file already there under its content-hashed name is the same
    bytes and is skipped. A photo whose original cannot be read (damaged, a bomb, refused by
    today's upload rule) ends `failed` with the reason and no variants at all."""
    photo = CarPhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        return VariantsOutcome(photo_id, "gone")  # deleted before the worker got to it
    storage = variant_storage()
    try:
        with photo.image.open("rb") as handle:
            data = handle.read()
        checked = check_image(ContentFile(data, name="original"))
        rendered = render_variants(checked.data)
    except FileNotFoundError:
        return _record_failure(photo, "The original file is missing from storage.")
    except ValidationError as exc:
        return _record_failure(photo, " ".join(exc.messages))
    except (OSError, ValueError) as exc:
        return _record_failure(photo, f"The image could not be converted ({exc.__class__.__name__}).")

    names, written = [], []
    try:
        for variant in rendered:
            name = variant_name(
                car_id=photo.car_id,
                photo_id=photo.pk,
                size=variant.size,
                digest=variant.digest,
                extension=variant.extension,
            )
            if not storage.exists(name):
                saved = storage.save(name, ContentFile(variant.data))
                if saved != name:  # a storage that renamed it would break the hashed URL
                    storage.delete(saved)
                    raise OSError(f"storage stored {name} as {saved}")
                written.append(name)
            names.append(name)
        with transaction.atomic():
            photo = CarPhoto.objects.select_for_update().filter(pk=photo_id).first()
            if photo is None:  # deleted while we worked: its files go too
                raise CarPhoto.DoesNotExist
            old = set(photo.variants.values_list("name", flat=True)) - set(names)
            photo.variants.all().delete()
            CarPhotoVariant.objects.bulk_create(
                CarPhotoVariant(
                    photo=photo,
                    size=variant.size,
                    format=variant.format,
                    width=variant.width,
                    height=variant.height,
                    name=name,
                    bytes=len(variant.data),
                )
                for variant, name in zip(rendered, names, strict=True)
            )
            CarPhoto.objects.filter(pk=photo.pk).update(variants_state=CarPhoto.Variants.READY, variants_error="")
            transaction.on_commit(lambda: [storage.delete(name) for name in old])
    except CarPhoto.DoesNotExist:
        for name in names:
            storage.delete(name)
        return VariantsOutcome(photo_id, "gone")
    except BaseException:
        for name in written:  # nothing half-written: what this run added goes
            storage.delete(name)
        raise
    return VariantsOutcome(photo_id, CarPhoto.Variants.READY, written=len(written))


def _record_failure(photo: CarPhoto, reason: str) -> VariantsOutcome:
    with transaction.atomic():
        names = list(photo.variants.values_list("name", flat=True))
        photo.variants.all().delete()
        CarPhoto.objects.filter(pk=photo.pk).update(
            variants_state=CarPhoto.Variants.FAILED, variants_error=reason[:300]
        )
        storage = variant_storage()
        transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return VariantsOutcome(photo.pk, CarPhoto.Variants.FAILED, error=reason)


def photos_without_variants():
    """Photos still waiting for their variants (or whose last try failed), oldest first."""
    return CarPhoto.objects.exclude(variants_state=CarPhoto.Variants.READY).order_by("pk")


def photos_queue_variants(*, user: User) -> int:
    """Ask the workers for the variants of every photo that has none (the admins' button)."""
    if not user.is_superuser:
        raise ValidationError("Only an administrator can remake photo variants.")
    with transaction.atomic():
        ids = list(photos_without_variants().values_list("pk", flat=True))
        for pk in ids:
            outbox.enqueue(MAKE_VARIANTS_TASK, [pk], about=f"inventory.carphoto:{pk}")
    return len(ids)
