"""Adding a photo of a car, through the upload check (ifixit.uploads) only."""

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from ifixit.accounts.models import User
from ifixit.inventory.models import CarPhoto
from ifixit.inventory.services.cars import _locked_car, _require
from ifixit.uploads import check_image


@transaction.atomic
def car_photo_add(*, user: User, car_id: int, image: UploadedFile, caption: str = "") -> CarPhoto:
    _require(user, "inventory.add_carphoto")
    car = _locked_car(user, car_id)
    checked = check_image(image)
    photo = CarPhoto(car=car, caption=caption.strip(), uploaded_by=user, width=checked.width, height=checked.height)
    photo.full_clean(exclude=["image"])  # everything is checked before a byte is stored
    # The stored name is generated (car_photo_path) with the extension of the detected
    # format; the uploader's file name is not kept anywhere.
    photo.image.save(f"photo.{checked.extension}", ContentFile(checked.data), save=False)
    photo.width, photo.height = checked.width, checked.height  # the field's own re-read of the file may not see it
    photo.save()
    return photo
