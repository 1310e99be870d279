"""A car's gallery on its page and in the API: `<picture>` with srcset from the variants, a
placeholder until they are made, the primary photo's thumbnail on the car list in a fixed number
of queries, arranging (order, primary, caption, delete), several files at once with a reason per
refused file, originals only behind a signed expiring URL, variants cached for a year; every door
closed to another location's manager (404), to anonymous users, and to the wrong method."""

import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from ifixit.inventory.models import CarPhoto, Phase
from ifixit.inventory.services import photos as photo_services
from ifixit.inventory.tasks import make_photo_variants
from ifixit.testing import images
from ifixit.testing.factories import CarFactory


@pytest.fixture
def car(north):
    return CarFactory(location=north, phase=Phase.FIXING, make="Skoda", model="Octavia")


@pytest.fixture
def page(client, manager):
    client.force_login(manager)
    return client


def jpeg(size=(1200, 900), colour=(200, 40, 40)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def add(manager, car, *, ready=True, caption="") -> CarPhoto:
    photo = photo_services.car_photo_add(
        user=manager, car_id=car.pk, image=SimpleUploadedFile("a.jpg", jpeg()), caption=caption
    )
    if ready:
        make_photo_variants(photo.pk)
    photo.refresh_from_db()
    return photo


def test_the_car_page_shows_a_picture_with_srcset_and_a_placeholder_while_pending(page, manager, car):
    ready = add(manager, car, caption="Nearside")
    add(manager, car, ready=False)
    html = page.get(reverse("car_detail", args=[car.pk])).content.decode()
    assert '<source type="image/webp" srcset="' in html
    srcset = re.search(r'<img src="[^"]+" srcset="([^"]+)"', html).group(1)
    widths = [int(part.split()[-1].rstrip("w")) for part in srcset.split(", ")]
    assert widths == [480, 1024, 1200]  # card, page, and full capped at the photo's own width
    assert f"/photos/variants/cars/{car.pk}/{ready.pk}/" in srcset
    assert 'loading="lazy"' in html or 'fetchpriority="high"' in html
    assert 'decoding="async"' in html and 'width="1024" height="768"' in html
    assert 'data-testid="photo-placeholder"' in html and "Preparing photo" in html
    assert 'hx-trigger="load delay:3s"' in html  # the gallery looks again until the variants are there


def test_the_gallery_fragment_stops_polling_once_ready(page, manager, car, htmx):
    photo = add(manager, car, ready=False)
    assert "Preparing photo" in page.get(reverse("photo_add", args=[car.pk]), **htmx).content.decode()
    make_photo_variants(photo.pk)
    html = page.get(reverse("photo_add", args=[car.pk]), **htmx).content.decode()
    assert "Preparing photo" not in html and "hx-trigger" not in html and "<picture>" in html


def test_the_car_list_shows_primary_thumbnails_in_a_fixed_number_of_queries(page, manager, north, car):
    add(manager, car)
    page.get(reverse("car_list"))  # warm the per-process caches (content types, permissions)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert page.get(reverse("car_list")).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(4):
        other = CarFactory(location=north)
        add(manager, other)
        add(manager, other)
    assert count() == few
    html = page.get(reverse("car_list")).content.decode()
    assert html.count('sizes="96px" width=') == 5  # one <img> per car and f"/photos/variants/cars/{car.pk}/" in html


def test_several_photos_at_once_each_refusal_with_its_file(page, car, htmx):
    files = [
        SimpleUploadedFile("front.jpg", jpeg(), "image/jpeg"),
        SimpleUploadedFile("notes.jpg", images.HTML, "image/jpeg"),
        SimpleUploadedFile("rear.jpg", jpeg(colour=(0, 0, 200)), "image/jpeg"),
    ]
    response = page.post(reverse("photo_add", args=[car.pk]), {"image": files}, **htmx)
    html = response.content.decode()
    assert response.status_code == 200 and "<strong>notes.jpg</strong>: This is a web page" in html
    assert list(car.photos.values_list("position", "is_primary")) == [(0, True), (1, False)]


def test_arranging_the_gallery(page, manager, car, htmx):
    first, second, third = add(manager, car), add(manager, car), add(manager, car)

    def arrange(photo, action, **data):
        return page.post(reverse("photo_arrange", args=[car.pk, photo.pk, action]), data, **htmx)

    assert arrange(third, "earlier").status_code == 200
    assert list(car.photos.values_list("pk", flat=True)) == [first.pk, third.pk, second.pk]
    arrange(first, "later")
    assert list(car.photos.values_list("pk", flat=True)) == [third.pk, first.pk, second.pk]
    arrange(second, "primary")
    assert list(car.photos.filter(is_primary=True).values_list("pk", flat=True)) == [second.pk]
    arrange(second, "caption", caption="  Offside rear ")
    assert car.photos.get(pk=second.pk).caption == "Offside rear"
    arrange(second, "delete")
    assert not car.photos.filter(pk=second.pk).exists()
    assert list(car.photos.filter(is_primary=True).values_list("pk", flat=True)) == [third.pk]
    assert arrange(first, "sideways").status_code == 404


def test_originals_only_through_a_signed_expiring_url(page, manager, outsider, car, client, settings):
    photo = add(manager, car)
    response = page.get(reverse("car_photo", args=[car.pk, photo.pk]))
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    signed = response["Location"]
    fetched = client.get(signed)
    assert fetched.status_code == 200 and fetched["Content-Type"] == "image/jpeg"
    tampered = signed[:-3] + ("abc" if not signed.endswith("abc/") else "xyz") + "/"
    assert client.get(tampered).status_code == 404
    settings.PHOTO_ORIGINAL_URL_SECONDS = -1  # every signature is now too old
    assert client.get(signed).status_code == 404
    client.force_login(outsider)
    assert client.get(reverse("car_photo", args=[car.pk, photo.pk])).status_code == 404


def test_variants_are_cached_for_a_year_and_hidden_from_other_locations(page, manager, outsider, car, client):
    photo = add(manager, car)
    name = photo.variants.get(size="thumb", format="webp").name
    response = page.get(reverse("photo_variant_file", args=[name]))
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert page.get(reverse("photo_variant_file", args=["../../settings.py"])).status_code == 404
    client.force_login(outsider)
    assert client.get(reverse("photo_variant_file", args=[name])).status_code == 404


def test_the_cdn_base_url_is_used_when_set(page, manager, car, settings):
    photo = add(manager, car)
    settings.PHOTO_CDN_URL = "https://img.example.net"
    html = page.get(reverse("car_detail", args=[car.pk])).content.decode()
    assert f"https://img.example.net/cars/{car.pk}/{photo.pk}/card-" in html


def test_every_photo_door_is_closed_to_the_outsider_and_anonymous(client, outsider, manager, car, htmx):
    photo = add(manager, car)
    doors = [
        ("get", reverse("photo_add", args=[car.pk])),
        ("post", reverse("photo_add", args=[car.pk])),
        ("get", reverse("car_photo", args=[car.pk, photo.pk])),
        ("post", reverse("photo_arrange", args=[car.pk, photo.pk, "delete"])),
        ("post", reverse("photo_arrange", args=[car.pk, photo.pk, "primary"])),
    ]
    for method, path in doors:
        assert getattr(client, method)(path, **htmx).status_code == 302, path  # anonymous: to sign in
    client.force_login(outsider)
    for method, path in doors:
        assert getattr(client, method)(path, **htmx).status_code == 404, path
    assert CarPhoto.objects.filter(pk=photo.pk).exists()
    client.force_login(manager)
    assert client.get(reverse("photo_arrange", args=[car.pk, photo.pk, "delete"])).status_code == 405
    assert client.post(reverse("photos_backfill")).status_code == 403  # admins only


def test_the_admins_button_queues_missing_variants(client, admin_user, manager, car):
    add(manager, car, ready=False)
    client.force_login(admin_user)
    response = client.post(reverse("photos_backfill"), {"next": f"/cars/{car.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/cars/{car.pk}/"
    from ifixit.jobs.models import OutboxMessage

    assert OutboxMessage.objects.filter(task="ifixit.inventory.tasks.make_photo_variants").count() == 2


# --- API --------------------------------------------------------------------------------


def test_the_api_lists_photos_with_each_variants_url_width_and_format(api, manager, car):
    photo = add(manager, car)
    body = api.get(reverse("api_car_photos", args=[car.pk])).json()
    assert [(p["id"], p["is_primary"], p["position"], p["variants_state"]) for p in body] == [
        (photo.pk, True, 0, "ready")
    ]
    variants = body[0]["variants"]
    assert {(v["size"], v["width"]) for v in variants if v["format"] == "jpeg"} == {
        ("thumb", 160),
        ("card", 480),
        ("page", 1024),
        ("full", 1200),
    }
    assert all(v["url"].startswith("http://testserver/photos/variants/cars/") for v in variants)
    assert {v["format"] for v in variants} >= {"webp", "jpeg"}


def test_the_api_arranges_and_deletes(api, manager, car):
    first, second = add(manager, car), add(manager, car)
    detail = reverse("api_car_photo_detail", args=[car.pk, second.pk])
    response = api.patch(detail, {"caption": "Dash", "is_primary": True}, format="json")
    assert response.status_code == 200 and (response.json()["caption"], response.json()["is_primary"]) == ("Dash", True)
    assert api.patch(detail, {"is_primary": False}, format="json").status_code == 400
    order = reverse("api_car_photo_order", args=[car.pk])
    assert [p["id"] for p in api.put(order, {"photo_ids": [second.pk, first.pk]}, format="json").json()] == [
        second.pk,
        first.pk,
    ]
    assert api.put(order, {"photo_ids": [second.pk]}, format="json").status_code == 400
    assert api.delete(detail).status_code == 204
    assert list(car.photos.values_list("pk", "is_primary")) == [(first.pk, True)]


def test_the_api_photo_doors_are_closed_to_the_outsider_and_anonymous(
    anon, outsider_api, manager, car, assert_unauthenticated
):
    photo = add(manager, car)
    detail = reverse("api_car_photo_detail", args=[car.pk, photo.pk])
    order = reverse("api_car_photo_order", args=[car.pk])
    assert outsider_api.get(reverse("api_car_photos", args=[car.pk])).status_code == 404
    assert outsider_api.get(detail).status_code == 404
    assert outsider_api.patch(detail, {"caption": "x"}, format="json").status_code == 404
    assert outsider_api.delete(detail).status_code == 404
    assert outsider_api.put(order, {"photo_ids": [photo.pk]}, format="json").status_code == 404
    assert_unauthenticated(anon.get(detail))
    assert_unauthenticated(anon.delete(detail))
    photo.refresh_from_db()
    assert photo.caption == "" and CarPhoto.objects.count() == 1
