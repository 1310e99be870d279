"""REST API v1 of inventory, a car's photos: an upload checked by its bytes and size, fetched
only through the permission-checked page; anonymous (401), the outsider (404), the wrong
method (405)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from ifixit.inventory.models import CarPhoto
from ifixit.inventory.tests.conftest import image_bytes, upload, url

# --- photos ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, name, content_type", [("PNG", "front.png", "image/png"), ("JPEG", "side.jpg", "image/jpeg")]
)
def test_it_uploads_a_photo_that_only_allowed_users_can_fetch(api, manager, outsider, car, fmt, name, content_type):
    data = image_bytes(fmt, size=(80, 60))
    response = api.post(
        url("api_car_photos", car.id),
        {"image": upload(data, name, content_type), "caption": " Nearside "},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    photo = CarPhoto.objects.get()
    assert (body["id"], body["caption"], body["width"], body["height"]) == (photo.id, "Nearside", 80, 60)
    assert body["url"] == "http://testserver" + reverse("car_photo", args=[car.id, photo.id])

    page_client = APIClient()
    page_client.force_login(manager)
    # The page sends the original through a signed URL that expires (never the CDN's).
    fetched = page_client.get(body["url"], follow=True)
    assert fetched.redirect_chain[0][0].startswith("/photos/originals/")
    assert fetched.status_code == 200 and b"".join(fetched.streaming_content) == data
    page_client.force_login(outsider)
    assert page_client.get(body["url"]).status_code == 404


def test_it_refuses_an_upload_that_is_not_an_image(api, car):
    response = api.post(
        url("api_car_photos", car.id), {"image": upload(b"%PDF-1.4 not a photo", "car.png")}, format="multipart"
    )
    assert response.status_code == 400
    assert "PDF, not a photo" in response.json()["image"][0]
    assert not CarPhoto.objects.exists()


def test_it_refuses_a_photo_over_the_limit(api, car, settings):
    settings.MAX_PHOTO_BYTES = 1024
    too_big = upload(image_bytes(size=(400, 400)) + b"\0" * 2048)
    response = api.post(url("api_car_photos", car.id), {"image": too_big}, format="multipart")
    assert response.status_code == 400
    assert "at most" in response.json()["image"][0]
    assert not CarPhoto.objects.exists()


def test_it_refuses_a_photo_over_fifteen_megabytes(api, car):
    oversized = image_bytes() + b"\0" * (15 * 1024 * 1024)
    response = api.post(url("api_car_photos", car.id), {"image": upload(oversized)}, format="multipart")
    assert response.status_code == 400
    assert "at most 15 MB" in response.json()["image"][0]
    assert not CarPhoto.objects.exists()


def test_an_upload_without_a_file_is_refused(api, car):
    response = api.post(url("api_car_photos", car.id), {"caption": "No file"}, format="multipart")
    assert response.status_code == 400 and "image" in response.json()


def test_photos_refuse_the_outsider_anonymous_and_get(anon, api, outsider_api, car, assert_unauthenticated):
    photos_url = url("api_car_photos", car.id)
    assert outsider_api.post(photos_url, {"image": upload(image_bytes())}, format="multipart").status_code == 404
    assert_unauthenticated(anon.post(photos_url, {"image": upload(image_bytes())}, format="multipart"))
    assert api.put(url("api_car_photos", car.id), {}).status_code == 405
    assert not CarPhoto.objects.exists()
