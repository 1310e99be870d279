"""Car photos through every way in (the page and the API): each hostile file refused with a
clear 400 and nothing stored; a good one stored under a generated name of its real format and
served as that image only; photos stored before this rule renamed or set aside, on record."""

import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from ifixit.inventory.models import CarPhoto, Phase, PhotoFileChange
from ifixit.testing import images
from ifixit.testing.factories import CarFactory

GENERATED = re.compile(r"^cars/\d+/[0-9a-f]{32}\.(jpg|png|webp)$")


@pytest.fixture
def car(north):
    return CarFactory(location=north, phase=Phase.FIXING)


@pytest.fixture
def page(client, manager):
    client.force_login(manager)
    return client


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def as_upload(data: bytes, name: str) -> SimpleUploadedFile:
    # The type the browser claims is the attacker's choice too: always a plausible one.
    return SimpleUploadedFile(name, data, "image/jpeg")


@pytest.mark.parametrize("case", list(images.HOSTILE))
def test_the_page_refuses_each_hostile_file_with_a_400_and_stores_nothing(page, car, case, settings):
    data, words = images.HOSTILE[case]
    response = page.post(reverse("photo_add", args=[car.pk]), {"image": as_upload(data, "holiday.jpg")})
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not CarPhoto.objects.exists() and stored_files(settings) == []


@pytest.mark.parametrize("case", list(images.HOSTILE))
def test_the_api_refuses_each_hostile_file_with_a_400_and_stores_nothing(api, car, case, settings):
    data, words = images.HOSTILE[case]
    response = api.post(
        reverse("api_car_photos", args=[car.pk]), {"image": as_upload(data, "holiday.jpg")}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert "image" in str(body) and words in str(body)
    assert not CarPhoto.objects.exists() and stored_files(settings) == []


def test_htmx_shows_the_refusal_in_the_photo_form(page, car, htmx):
    data, words = images.HOSTILE["polyglot"]
    response = page.post(reverse("photo_add", args=[car.pk]), {"image": as_upload(data, "holiday.html")}, **htmx)
    assert words in response.content.decode() and not CarPhoto.objects.exists()


@pytest.mark.parametrize(
    "fmt, uploaded_as, content_type, extension",
    [
        ("JPEG", "holiday.html", "image/jpeg", "jpg"),
        ("JPEG", "logo.svg", "image/jpeg", "jpg"),
        ("PNG", "front.jpg", "image/png", "png"),
        ("WEBP", "side", "image/webp", "webp"),
    ],
)
@pytest.mark.parametrize("way", ["page", "api"])
def test_a_good_photo_is_stored_and_served_as_the_format_its_bytes_are(
    page, api, car, fmt, uploaded_as, content_type, extension, way
):
    data = images.image_bytes(fmt, (80, 60))
    if way == "page":
        assert (
            page.post(reverse("photo_add", args=[car.pk]), {"image": as_upload(data, uploaded_as)}).status_code == 302
        )
    else:
        response = api.post(
            reverse("api_car_photos", args=[car.pk]), {"image": as_upload(data, uploaded_as)}, format="multipart"
        )
        assert response.status_code == 201
    photo = CarPhoto.objects.get()
    assert GENERATED.match(photo.image.name) and photo.image.name.endswith("." + extension)
    assert uploaded_as.rsplit(".", 1)[0] not in photo.image.name
    assert (photo.width, photo.height) == (80, 60)

    served = page.get(reverse("car_photo", args=[car.pk, photo.pk]), follow=True)  # to the signed URL
    assert served.status_code == 200 and b"".join(served.streaming_content) == data
    assert served["Content-Type"] == content_type
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert served["Content-Disposition"] == f'inline; filename="car-{car.pk}-photo-{photo.pk}.{extension}"'


# --- photos stored before the rule ----------------------------------------------------------


def plant(car, name: str, data: bytes) -> CarPhoto:
    """A photo as the old upload stored it: under the uploader's name, bytes unchecked."""
    stored = default_storage.save(f"cars/{car.pk}/20251101093000-{name}", ContentFile(data))
    return CarPhoto.objects.create(car=car, image=stored, width=64, height=48)


def test_the_recheck_renames_misnamed_photos_and_sets_aside_hostile_ones(
    page, car, settings, django_capture_on_commit_callbacks, capsys
):
    jpeg_as_html = plant(car, "holiday.html", images.image_bytes("JPEG"))
    png_as_svg = plant(car, "logo.svg", images.image_bytes("PNG"))
    polyglot = plant(car, "offer.jpg", images.polyglot_jpeg())
    before = {p.image.name for p in CarPhoto.objects.all()}

    # The legacy .html is never shown inline, even before the recheck.
    served = page.get(reverse("car_photo", args=[car.pk, jpeg_as_html.pk]), follow=True)
    assert served["Content-Type"] == "application/octet-stream" and served["Content-Disposition"].startswith(
        "attachment"
    )

    with django_capture_on_commit_callbacks(execute=True):
        call_command("photos_recheck")
    assert "3 photos checked: 2 were renamed, 1 were quarantined" in capsys.readouterr().out

    jpeg_as_html.refresh_from_db()
    png_as_svg.refresh_from_db()
    assert GENERATED.match(jpeg_as_html.image.name) and jpeg_as_html.image.name.endswith(".jpg")
    assert GENERATED.match(png_as_svg.image.name) and png_as_svg.image.name.endswith(".png")
    assert page.get(reverse("car_photo", args=[car.pk, jpeg_as_html.pk]), follow=True)["Content-Type"] == "image/jpeg"
    assert not CarPhoto.objects.filter(pk=polyglot.pk).exists()
    assert not any(default_storage.exists(name) for name in before), "the old files are removed"

    changes = {change.photo_id: change for change in PhotoFileChange.objects.all()}
    assert changes[jpeg_as_html.pk].action == "renamed" and changes[jpeg_as_html.pk].old_name.endswith("holiday.html")
    assert changes[jpeg_as_html.pk].new_name == jpeg_as_html.image.name
    assert "JPEG" in changes[jpeg_as_html.pk].reason
    assert changes[polyglot.pk].action == "quarantined" and "web-page code" in changes[polyglot.pk].reason
    assert default_storage.exists(changes[polyglot.pk].new_name) and changes[polyglot.pk].new_name.endswith(".bin")

    # Run again: everything is right already, nothing changes.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("photos_recheck")
    assert "2 photos checked: 0 were renamed, 0 were quarantined" in capsys.readouterr().out
    assert PhotoFileChange.objects.count() == 3


def test_a_dry_run_of_the_recheck_changes_nothing(car, capsys):
    photo = plant(car, "holiday.html", images.image_bytes("JPEG"))
    call_command("photos_recheck", "--dry-run")
    assert "1 would be renamed" in capsys.readouterr().out
    photo.refresh_from_db()
    assert photo.image.name.endswith("holiday.html") and not PhotoFileChange.objects.exists()


def test_the_admin_cannot_add_a_photo_past_the_check(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:inventory_carphoto_add")).status_code == 403
