"""The gallery in a real browser: several photos uploaded at once with a line per file (one
refused with its reason), the placeholder replaced by the photos once a worker made them, swipe
and full screen on a phone; the car list with its thumbnails. Screenshots at 375 and 1280 px."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from ifixit.inventory.models import CarPhoto
from ifixit.inventory.services import photos as photo_services
from ifixit.inventory.tasks import make_photo_variants
from ifixit.testing import images
from ifixit.testing.browser import screenshot, sign_in
from ifixit.testing.factories import CarFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def car_picture(colour, label: str) -> bytes:
    img = Image.new("RGB", (1600, 1200), (225, 232, 240))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((200, 520, 1400, 860), 60, fill=colour)
    draw.polygon([(420, 520), (560, 330), (1040, 330), (1180, 520)], fill=colour)
    for x in (450, 1150):
        draw.ellipse((x - 110, 760, x + 110, 980), fill=(30, 30, 30))
    draw.text((60, 60), label, fill=(20, 20, 20), font_size=90)
    out = BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def test_the_gallery_on_a_phone_and_a_desktop(live_server, phone, chromium, north):
    user = UserFactory(username="wes", role="manager", password="wes-long-password", locations=[north])
    car = CarFactory(location=north, make="Skoda", model="Octavia", phase="fixing")
    page = phone
    sign_in(page, live_server.url, "wes", "wes-long-password")
    page.goto(f"{live_server.url}/cars/{car.pk}/")
    page.locator("#id_image").set_input_files(
        [
            {"name": "front.jpg", "mimeType": "image/jpeg", "buffer": car_picture((180, 20, 30), "1 front")},
            {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": images.HTML},
            {"name": "side.jpg", "mimeType": "image/jpeg", "buffer": car_picture((20, 90, 180), "2 side")},
        ]
    )
    page.locator("#photos").get_by_role("button", name="Upload").click()
    files = page.locator(".upload-file")
    expect(files).to_have_count(3)
    expect(files.nth(1)).to_contain_text("This is a web page")
    expect(files.nth(2)).to_contain_text("Added")
    expect(page.get_by_test_id("photo-placeholder").first).to_be_visible()  # no variants yet
    screenshot(page, "photos-uploading-375")
    assert CarPhoto.objects.filter(car=car).count() == 2

    for photo in CarPhoto.objects.filter(car=car):  # the worker's part
        make_photo_variants(photo.pk)
    expect(page.locator(".gallery-slide picture")).to_have_count(2, timeout=15_000)  # the poll swapped them in
    expect(page.get_by_test_id("photo-placeholder")).to_have_count(0)
    page.locator("#photos").scroll_into_view_if_needed()
    screenshot(page, "photos-gallery-375")

    strip = page.locator(".gallery-strip")
    page.get_by_role("button", name="Next photo").click()
    expect(page.locator("[data-count]")).to_have_text("2 / 2")
    assert strip.evaluate("el => el.scrollLeft") > 100
    page.locator(".gallery-open").first.click()
    dialog = page.locator("[data-gallery-full]")
    expect(dialog).to_be_visible()
    width = dialog.evaluate("el => el.getBoundingClientRect().width")
    assert width == 375
    screenshot(page, "photos-fullscreen-375")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    for i in range(3):
        other = CarFactory(location=north, make="Ford", model=f"Fiesta {i}")
        photo = photo_services.car_photo_add(
            user=user, car_id=other.pk, image=SimpleUploadedFile("c.jpg", car_picture((30, 140, 60), f"car {i}"))
        )
        make_photo_variants(photo.pk)
    page.goto(f"{live_server.url}/cars/")
    expect(page.locator(".car-thumb picture")).to_have_count(4)
    screenshot(page, "photos-list-375")

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, storage_state=page.context.storage_state())
    desk = context.new_page()
    desk.goto(f"{live_server.url}/cars/")
    expect(desk.locator(".car-thumb picture")).to_have_count(4)
    screenshot(desk, "photos-list-1280")
    desk.goto(f"{live_server.url}/cars/{car.pk}/#photos")
    expect(desk.locator(".gallery-slide picture")).to_have_count(2)
    natural = desk.locator(".gallery-slide img").first.evaluate("img => img.currentSrc")
    assert "/photos/variants/" in natural and ("page-" in natural or "full-" in natural or "card-" in natural)
    screenshot(desk, "photos-gallery-1280")
    context.close()
