"""A person on a phone (375 px): sign in, register a car, move it to fixing, find it
in the filtered list and read its timeline. Screenshots go to test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from ifixit.testing.browser import screenshot, sign_in
from ifixit.testing.factories import CarFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyer_registers_a_car_and_moves_it_to_fixing_on_a_phone(live_server, phone, north, south):
    UserFactory(username="bea", role="buyer", password="bea-long-password", locations=[north])
    CarFactory(location=north, make="Kia", model="Ceed", phase="purchased")
    CarFactory(location=south, make="Audi", model="A3", phase="fixing")  # another site: never shown
    page = phone

    sign_in(page, live_server.url, "bea", "bea-long-password")
    screenshot(page, "01-dashboard-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the dashboard scrolls sideways at 375 px"

    page.get_by_role("link", name="Add car").click()
    page.get_by_label("VIN").fill("wf0xxxgcdx1234567")
    page.get_by_label("Registration").fill("ab19 cde")
    page.get_by_label("Make").fill("Ford")
    page.locator("#id_model").fill("Puma")
    page.get_by_label("Year").fill("2021")
    page.get_by_label("Mileage").fill("23000")
    page.get_by_label("Purchase price").fill("12500")
    page.get_by_label("Auction fees").fill("650")
    page.get_by_label("Transport cost").fill("180")
    screenshot(page, "02-registration-form-375")
    page.get_by_role("button", name="Register car").click()

    expect(page.get_by_role("heading", name=re.compile("2021 Ford Puma"))).to_be_visible()
    expect(page.get_by_test_id("current-phase")).to_have_text("Purchased")
    expect(page.get_by_test_id("total-cost")).to_have_text("£13,330.00")

    page.get_by_label("Move to").select_option("fixing")
    page.get_by_label("Note").fill("Needs clutch and tyres")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_test_id("current-phase")).to_have_text("Fixing")  # swapped in by htmx
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Purchased → Fixing")
    expect(timeline).to_contain_text("Needs clutch and tyres")
    screenshot(page, "03-car-in-fixing-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the car page scrolls sideways at 375 px"

    page.get_by_role("link", name="Cars").click()
    page.get_by_text("Filter and sort").click()
    page.get_by_label("Phase", exact=True).select_option("fixing")
    expect(page.get_by_test_id("result-count")).to_have_text("1 car")  # htmx swapped the results
    expect(page).to_have_url(re.compile(r"phase=fixing"))
    expect(page.get_by_text("Audi")).to_have_count(0)
    screenshot(page, "04-filtered-list-375")

    page.get_by_role("link", name=re.compile("2021 Ford Puma")).click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Needs clutch and tyres")
