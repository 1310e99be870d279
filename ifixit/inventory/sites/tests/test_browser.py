"""Locations in Debian's Chromium, on a phone (375 px) and a desktop (1280 px): the list
and a location's inventory page fit the screen without sideways scrolling, and an
admin deactivates a location from the list in place (htmx). Screenshots go to
test-artifacts/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ifixit.inventory.models import Phase, Transfer
from ifixit.inventory.sites.tests.conftest import move, sell
from ifixit.testing.browser import follow_nav_link, screenshot
from ifixit.testing.factories import CarFactory, LocationFactory, RepairItemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "ada-long-password"
DESKTOP = {"width": 1280, "height": 900}


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


@pytest.fixture
def group(north, south):
    """Two busy yards and a closed one, with stock of every age, a year of sales and
    transfers both ways."""
    LocationFactory(name="Harrogate Showroom", code="HGT", is_active=False, address="")
    north.address = "Unit 4, Kirkstall Industrial Park, Leeds LS4 2AZ"
    north.save()
    today = timezone.localdate()
    makes = [("Ford", "Focus"), ("Vauxhall", "Corsa"), ("Kia", "Ceed"), ("Skoda", "Octavia"), ("BMW", "320d")]
    phases = [Phase.PURCHASED, Phase.FIXING, Phase.READY, Phase.LISTED, Phase.RESERVED]
    for n in range(24):
        make, model = makes[n % len(makes)]
        car = CarFactory(
            location=north,
            make=make,
            model=model,
            phase=phases[n % len(phases)],
            purchased_on=None if n == 5 else today - timedelta(days=n * 6),
            purchase_price=Decimal(4000 + n * 350),
        )
        if n % 3 == 0:
            RepairItemFactory(car=car)
    for months_ago in range(12):
        for k in range(1 + months_ago % 3):
            sold_on = today.replace(day=1) - timedelta(days=30 * months_ago - 3 - k)
            loss = months_ago == 4 and k == 0
            sell(north, sold_on=min(sold_on, today), price="7200", cost="9900" if loss else "5600")
    admin = UserFactory(username="ada", role="admin", is_superuser=True, password=PASSWORD)
    coming = CarFactory(location=south, phase=Phase.IN_TRANSIT, make="Audi", model="A3")
    move(coming, to=north, status=Transfer.Status.DISPATCHED, by=admin)
    leaving = CarFactory(location=north, phase=Phase.IN_TRANSIT, make="Mazda", model="MX-5", purchased_on=today)
    move(leaving, to=south, status=Transfer.Status.DISPATCHED, by=admin)
    waiting = CarFactory(location=north, phase=Phase.READY, make="Toyota", model="Yaris", purchased_on=today)
    move(waiting, to=south, status=Transfer.Status.APPROVED, by=admin)
    CarFactory(location=south, phase=Phase.LISTED)
    return admin


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"the page scrolls sideways at {width} px"


def test_the_list_and_a_location_page_fit_a_phone(live_server, phone, group, north):
    page = phone
    sign_in(page, live_server.url, "ada")
    follow_nav_link(page, "Locations")
    expect(page.get_by_role("heading", name="Locations")).to_be_visible()
    expect(page.get_by_test_id("inactive")).to_have_count(1)
    screenshot(page, "locations-list-375")
    fits(page, 375)

    page.get_by_role("link", name="North Yard", exact=True).click()
    expect(page.get_by_role("heading", name="North Yard")).to_be_visible()
    expect(page.get_by_test_id("stock-count")).to_have_text("26")
    expect(page.get_by_test_id("incoming")).to_contain_text("Audi A3")
    expect(page.get_by_test_id("profit-chart")).to_be_visible()
    screenshot(page, "location-page-375")
    fits(page, 375)

    page.get_by_role("link", name="Edit").click()
    screenshot(page, "location-edit-375")
    fits(page, 375)


def test_the_list_and_a_location_page_on_a_desktop(live_server, chromium, group, north):
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server.url, "ada")
        page.goto(f"{live_server.url}/locations/")
        screenshot(page, "locations-list-1280")
        fits(page, 1280)
        page.goto(f"{live_server.url}/locations/{north.pk}/")
        expect(page.get_by_test_id("awaiting")).to_contain_text("Toyota Yaris")
        screenshot(page, "location-page-1280")
        fits(page, 1280)
    finally:
        context.close()


def test_an_admin_deactivates_a_location_in_place(live_server, phone, group, south):
    page = phone
    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/locations/")
    page.get_by_role("button", name="Deactivate South Yard").click()
    row = page.locator(f'[data-location="{south.pk}"]')
    expect(row.get_by_test_id("inactive")).to_be_visible()  # swapped in by htmx
    expect(row.get_by_role("button", name="Reactivate South Yard")).to_be_visible()
    south.refresh_from_db()
    assert south.is_active is False
