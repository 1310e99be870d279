"""The photo pages of a car: its gallery and upload (a partial of the car's page), arranging
the gallery, the original behind a signed expiring URL, and the variants' files when the site
serves them itself (the embedded profile). Every view reaches the car through the user's
scoped selector first: another location's car is a 404, whatever the door."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ifixit.inventory import selectors
from ifixit.inventory.models import CarPhoto
from ifixit.inventory.photos.forms import CaptionForm, PhotoUploadForm
from ifixit.inventory.photos.storage import (
    VARIANT_CONTENT_TYPES,
    VARIANT_NAME,
    on_disk,
    original_from_token,
    original_url,
    variant_storage,
)
from ifixit.inventory.services import photos as photo_services
from ifixit.uploads import served_image_headers

GALLERY = "inventory/_photos.html#gallery"


def photos_context(request, car, *, photo_form=None, upload_errors=None) -> dict:
    """What the photos card of a car's page needs (the car page's view adds it too)."""
    photos = list(selectors.car_photos(car=car))
    return {
        "car": car,
        "photos": photos,
        "photos_pending": any(p.variants_state == CarPhoto.Variants.PENDING for p in photos),
        "photo_form": photo_form or PhotoUploadForm(),
        "upload_errors": upload_errors or [],
        "can_add_photo": request.user.has_perm("inventory.add_carphoto"),
        "can_delete_photo": request.user.has_perm("inventory.delete_carphoto"),
        "can_backfill_photos": request.user.is_superuser,
    }


def _back_to_photos(car_id: int):
    return redirect(reverse("car_detail", args=[car_id]) + "#photos")


ACTIONS = ("earlier", "later", "primary", "caption", "delete")


@login_required
@permission_required("inventory.add_carphoto", raise_exception=True)
@require_POST
def photo_arrange(request, pk: int, photo_id: int, action: str):
    """The gallery's buttons: move a photo earlier or later, make it the car's face, change
    its caption, delete it."""
    car = selectors.car_get(user=request.user, pk=pk)
    if action not in ACTIONS:
        raise Http404("No such action")
    selectors.car_photo_get(car=car, photo_id=photo_id)
    args = {"user": request.user, "car_id": car.pk, "photo_id": photo_id}
    try:
        if action in ("earlier", "later"):
            photo_services.car_photo_move(**args, offset=-1 if action == "earlier" else 1)
        elif action == "primary":
            photo_services.car_photo_make_primary(**args)
        elif action == "caption":
            form = CaptionForm(request.POST)
            if form.is_valid():
                photo_services.car_photo_update(**args, caption=form.cleaned_data["caption"])
            else:
                messages.error(request, "A caption can be at most 200 characters.")
        else:
            photo_services.car_photo_delete(**args)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        return TemplateResponse(request, GALLERY, photos_context(request, car))
    return _back_to_photos(car.pk)


@login_required
@require_POST
def photos_backfill(request):
    """The admins' button: ask the workers for every photo's missing variants."""
    try:
        queued = photo_services.photos_queue_variants(user=request.user)
    except ValidationError as exc:
        raise PermissionDenied(" ".join(exc.messages)) from None
    messages.success(request, f"{queued} photo{'s' if queued != 1 else ''} queued for their variants.")
    return redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/") else "/")


@login_required
@require_GET
def car_photo(request, pk: int, photo_id: int):
    """The original as uploaded, for someone who may see the car: a redirect to a signed URL
    that expires (PHOTO_ORIGINAL_URL_SECONDS); never a CDN's."""
    car = selectors.car_get(user=request.user, pk=pk)
    photo = selectors.car_photo_get(car=car, photo_id=photo_id)
    response = redirect(original_url(photo))
    response["Cache-Control"] = "private, no-store"  # the signed URL expires: do not keep it
    return response


@require_GET
def photo_original_file(request, token: str):
    """The file behind a signed original URL (files on disk). The signature is the permission:
    it was given only to someone who could see the car, and it expires."""
    found = original_from_token(token)
    if found is None or not on_disk(default_storage):
        raise Http404("This photo link has expired or is not valid: open the car's page again.")
    photo_id, name = found
    photo = CarPhoto.objects.filter(pk=photo_id, image=name).first()
    if photo is None:
        raise Http404("No such photo")
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("Photo file missing") from None
    # The type comes from the stored name, which the upload check chose from the bytes
    # (ifixit.uploads); never from what the uploader called the file.
    response = FileResponse(handle)
    for header, value in served_image_headers(name, f"car-{photo.car_id}-photo-{photo.pk}").items():
        response[header] = value
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_GET
def photo_variant_file(request, name: str):
    """A variant's file when the site serves them itself: for a user who may see the car, and
    cached for a year (the name changes whenever the bytes do)."""
    match = VARIANT_NAME.match(name)
    storage = variant_storage()
    if match is None or not on_disk(storage):
        raise Http404("No such photo")
    selectors.car_get(user=request.user, pk=int(match["car"]))
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("Photo file missing") from None
    response = FileResponse(handle, content_type=VARIANT_CONTENT_TYPES[name.rsplit(".", 1)[1]])
    for header, value in served_image_headers(name, "photo").items():
        if header not in ("Content-Type", "Content-Disposition"):
            response[header] = value
    response["Cache-Control"] = settings.PHOTO_VARIANT_CACHE_CONTROL
    return response
