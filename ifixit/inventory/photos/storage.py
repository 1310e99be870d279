"""Where a photo's files live and the URLs that reach them.

Variants are in their own storage (settings.STORAGES["photo_variants"]): a folder under
MEDIA_ROOT in the embedded profile, `variants/` in the bucket with S3. Their names carry a
content hash, so a name always means the same bytes and they are cached for a year. Pages reach
them through PHOTO_CDN_URL when it is set, else through the storage (a signed S3 URL) or the
site's own permission-checked view.

Originals stay private in the default storage. They are reached only through a signed URL that
expires (PHOTO_ORIGINAL_URL_SECONDS): S3's presigned URL, or on disk a URL the site signs with
its SECRET_KEY; both are handed out by a view that first checks that the user may see the car.
"""

import os
import re

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.urls import reverse
from django.utils.functional import cached_property

from ifixit.uploads import CONTENT_TYPE_BY_EXTENSION

VARIANT_NAME = re.compile(r"^cars/(?P<car>\d+)/(?P<photo>\d+)/(thumb|card|page|full)-[0-9a-f]{20}\.(jpg|webp|avif)$")
VARIANT_CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}
_ORIGINAL_SALT = "inventory.photo-original"


class VariantFileStorage(FileSystemStorage):
    """MEDIA_ROOT/variants/, following MEDIA_ROOT when it changes (as the tests move it)."""

    @cached_property
    def base_location(self):
        return os.path.join(settings.MEDIA_ROOT, "variants")


def variant_storage():
    return storages["photo_variants"]


def on_disk(storage) -> bool:
    return isinstance(storage, FileSystemStorage)


def variant_name(*, car_id: int, photo_id: int, size: str, digest: str, extension: str) -> str:
    return f"cars/{car_id}/{photo_id}/{size}-{digest}.{extension}"


def variant_url(name: str) -> str:
    if settings.PHOTO_CDN_URL:
        return f"{settings.PHOTO_CDN_URL}/{name}"
    storage = variant_storage()
    if on_disk(storage):
        return reverse("photo_variant_file", args=[name])
    return storage.url(name)


def original_url(photo) -> str:
    """A URL for the photo's original that works for PHOTO_ORIGINAL_URL_SECONDS. Hand it only to
    someone who may see the car: whoever holds it can fetch the file until it expires."""
    download_name = f"car-{photo.car_id}-photo-{photo.pk}"
    name = photo.image.name
    if on_disk(default_storage):
        token = signing.dumps({"photo": photo.pk, "name": name}, salt=_ORIGINAL_SALT, compress=True)
        return reverse("photo_original_file", args=[token])
    extension = name.rsplit(".", 1)[-1].lower()
    parameters = {"ResponseContentDisposition": f'inline; filename="{download_name}.{extension}"'}
    if extension in CONTENT_TYPE_BY_EXTENSION:
        parameters["ResponseContentType"] = CONTENT_TYPE_BY_EXTENSION[extension]
    return default_storage.url(name, parameters=parameters, expire=settings.PHOTO_ORIGINAL_URL_SECONDS)


def original_from_token(token: str) -> tuple[int, str] | None:
    """(photo id, stored name) of a signed original URL still valid, else None."""
    try:
        value = signing.loads(token, salt=_ORIGINAL_SALT, max_age=settings.PHOTO_ORIGINAL_URL_SECONDS)
    except signing.BadSignature:  # tampered with, or expired (SignatureExpired is one)
        return None
    return value["photo"], value["name"]
