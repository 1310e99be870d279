"""At 375 px in Chromium: a salesperson asks for a car to move, the sending manager
approves and dispatches it, the receiving manager takes it in, and it shows up in the
destination's stock."""

import re

import pytest
from playwright.sync_api import expect

from ifixit.inventory.tests.test_browser import sign_in
from ifixit.testing.browser import follow_nav_link, screenshot
from ifixit.testing.factories import CarFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_a_transfer_from_request_to_receipt_on_a_phone(live_server, phone, north, south):
    UserFactory(username="sally", role="sales", password="sally-long-password", locations=[north])
    UserFactory(username="nora", role="manager", password="nora-long-password", locations=[north])
    UserFactory(username="stan", role="manager", password="stan-long-password", locations=[south])
    car = CarFactory(location=north, phase="listed", make="Skoda", model="Octavia", registration="AB19CDE")
    page = phone
    base = live_server.url

    sign_in(page, base, "sally", "sally-long-password")
    page.goto(f"{base}/cars/{car.pk}/")
    page.get_by_text("Request a transfer").click()
    page.locator("#id_to_location").select_option(label="South Yard")
    page.get_by_label("Reason").fill("Buyer waiting in Sheffield")
    page.get_by_label("Transport cost (£)").fill("95")
    screenshot(page, "20-transfer-request-375")
    page.get_by_role("button", name="Request transfer").click()
    expect(page.locator("#transfers")).to_contain_text("Requested")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    sign_out(page)

    sign_in(page, base, "nora", "nora-long-password")
    follow_nav_link(page, "Transfers")
    page.get_by_role("link", name=re.compile("Skoda Octavia")).click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Approved")
    page.get_by_role("button", name="Dispatch").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("In transit")
    expect(page.get_by_role("link", name="Movement note (PDF)")).to_be_visible()
    screenshot(page, "21-transfer-dispatched-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    sign_out(page)

    sign_in(page, base, "stan", "stan-long-password")
    page.get_by_role("link", name="Cars").click()
    expect(page.get_by_text("Skoda")).to_have_count(0)  # on the road: still North's
    follow_nav_link(page, "Transfers")
    page.get_by_role("link", name=re.compile("Skoda Octavia")).click()
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Received")
    page.get_by_role("link", name="Cars").click()
    expect(page.get_by_role("link", name=re.compile("Skoda Octavia"))).to_be_visible()  # now in South's stock
    page.get_by_role("link", name=re.compile("Skoda Octavia")).click()
    expect(page.get_by_test_id("current-phase")).to_have_text("Listed")
    expect(page.locator("#transfers")).to_contain_text("Received")
    screenshot(page, "22-transfer-received-375")
