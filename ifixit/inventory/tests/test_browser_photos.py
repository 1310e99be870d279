"""A JPEG that is also a page (a polyglot), named .html, in a real browser: refused at upload
with the reason shown, and one stored before the rule never runs its script when opened."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from ifixit.inventory.models import CarPhoto
from ifixit.testing import images
from ifixit.testing.browser import screenshot, sign_in
from ifixit.testing.factories import CarFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def plant(car, name: str) -> CarPhoto:
    """A polyglot as the old upload kept it, bytes unchecked, under the given stored name."""
    stored = default_storage.save(f"cars/{car.pk}/{name}", ContentFile(images.polyglot_jpeg()))
    return CarPhoto.objects.create(car=car, image=stored, width=64, height=48)


def test_a_polyglot_photo_is_refused_and_a_stored_one_never_runs(live_server, phone, north):
    UserFactory(username="wes", role="manager", password="wes-long-password", locations=[north])
    car = CarFactory(location=north, make="Skoda", model="Octavia", phase="fixing")
    page = phone
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server.url, "wes", "wes-long-password")

    page.goto(f"{live_server.url}/cars/{car.pk}/")
    page.locator("#id_image").set_input_files(
        {"name": "holiday.html", "mimeType": "image/jpeg", "buffer": images.polyglot_jpeg()}
    )
    page.locator("#photos").get_by_role("button", name="Upload").click()
    expect(page.locator("#photos")).to_contain_text("also holds web-page code")
    screenshot(page, "photo-polyglot-refused-375")
    assert not CarPhoto.objects.exists()

    # One that got in before names were generated, now under an image name: shown as an image only.
    as_image = plant(car, "0123456789abcdef0123456789abcdef.jpg")
    response = page.goto(f"{live_server.url}/cars/{car.pk}/photos/{as_image.pk}/")
    assert response.headers["content-type"] == "image/jpeg"
    assert page.evaluate("document.contentType") == "image/jpeg"
    assert "script ran" not in page.title()

    # One still under its uploader's .html name: a download, never a page.
    as_html = plant(car, "20251101093000-holiday.html")
    page.goto(f"{live_server.url}/cars/{car.pk}/")
    page.get_by_text("Arrange photos").click()  # the originals' links sit with the arranging buttons
    with page.expect_download() as download:
        page.locator(f'a[href="/cars/{car.pk}/photos/{as_html.pk}/"]').click()
    assert download.value.suggested_filename == f"car-{car.pk}-photo-{as_html.pk}"
    assert "script ran" not in page.title() and dialogs == []
