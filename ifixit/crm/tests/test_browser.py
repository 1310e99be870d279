"""On a phone (375 px), against the real system: uvicorn, a Celery worker and a real
SMTP server on loopback. A salesperson adds a customer, sells them a car and logs a
call; the customer answers the survey from the link in the email the worker sent;
the answer shows on the customer's timeline and in the satisfaction figures."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ifixit.crm.models import Survey
from ifixit.inventory.models import Phase
from ifixit.inventory.tests.test_browser import sign_in
from ifixit.testing.browser import screenshot
from ifixit.testing.factories import CarFactory, UserFactory
from ifixit.testing.live import fits
from ifixit.testing.processes import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.real_password_hashing, pytest.mark.django_db(transaction=True)]


def test_customer_sale_call_survey_and_figures_on_a_phone(system, phone, chromium, north, smtp_server):
    north.survey_after_days = 0  # survey the same day, so the worker sends it now
    north.save()
    UserFactory(username="sally", first_name="Sally", role="sales", password="sally-long-password", locations=[north])
    car = CarFactory(location=north, phase=Phase.LISTED, make="Skoda", model="Fabia", asking_price=Decimal(8995))
    page = phone
    sign_in(page, system.url, "sally", "sally-long-password")

    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Add customer").click()
    page.locator("#id_name").fill("Jo Bloggs")
    page.locator("#id_email").fill("Jo.Bloggs@Example.com")
    page.locator("#id_phone").fill("07911 123456")
    fits(page)
    screenshot(page, "30-customer-add-375")
    page.get_by_role("button", name="Add customer").click()
    expect(page.get_by_role("heading", name="Jo Bloggs")).to_be_visible()
    expect(page.get_by_test_id("consent")).to_contain_text("Email: no")
    expect(page.get_by_text("jo.bloggs@example.com")).to_be_visible()

    page.goto(f"{system.url}/cars/{car.pk}/")
    page.get_by_role("link", name="Record sale").click()
    page.get_by_label("Find by name, email or phone").fill("Bloggs")
    page.get_by_label("Find by name, email or phone").press("Enter")
    page.get_by_test_id("customer-matches").get_by_role("link", name="Jo Bloggs").click()
    expect(page.get_by_test_id("chosen-customer")).to_have_text("Jo Bloggs")
    fits(page)
    page.get_by_label("Cash, card or bank transfer").check()
    screenshot(page, "31-sale-to-customer-375")
    page.get_by_role("button", name="Record sale").click()
    expect(page.get_by_test_id("current-phase")).to_have_text("Sold")

    page.goto(f"{system.url}/customers/")
    page.get_by_role("link", name="Jo Bloggs").click()
    screenshot(page, "32-customer-page-375")
    fits(page)
    page.get_by_text("Log a call, visit or note").click()
    page.get_by_label("Summary").fill("Thank-you call")
    page.get_by_label("What was said or done").fill("Happy with the Fabia; asked about servicing.")
    page.get_by_role("button", name="Log it").click()
    timeline = page.get_by_test_id("customer-timeline")
    expect(timeline).to_contain_text("Thank-you call")
    expect(timeline).to_contain_text("Skoda Fabia")
    expect(page.get_by_test_id("purchases")).to_contain_text("£8,995")

    wait_for(
        lambda: any("/survey/" in m.get_payload(decode=True).decode() for m in smtp_server.messages),
        60,
        "the survey email",
    )
    mail = next(m for m in smtp_server.messages if "/survey/" in m.get_payload(decode=True).decode())
    assert mail["To"] == "jo.bloggs@example.com" and "Skoda Fabia" in mail["Subject"]
    path = re.search(r"https?://[^/\s]+(/survey/[A-Za-z0-9_-]+/)", mail.get_payload(decode=True).decode()).group(1)

    customer_phone = chromium.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    ).new_page()
    customer_phone.goto(f"{system.url}{path}")
    expect(customer_phone.get_by_role("heading", name="How did we do?")).to_be_visible()
    fits(customer_phone)
    customer_phone.locator(
        "label.scale-option", has=customer_phone.locator('input[name=recommend_score][value="9"]')
    ).click()
    customer_phone.locator(
        "label.scale-option", has=customer_phone.locator('input[name=satisfaction][value="5"]')
    ).click()
    customer_phone.get_by_label("Anything you would like to tell us?").fill("Sally was brilliant.")
    screenshot(customer_phone, "33-survey-375")
    customer_phone.get_by_role("button", name="Send my answer").click()
    expect(customer_phone.get_by_test_id("survey-thanks")).to_be_visible()
    customer_phone.goto(f"{system.url}{path}")  # the link works once
    expect(customer_phone.get_by_test_id("survey-closed")).to_contain_text("already been answered")
    customer_phone.context.close()
    assert Survey.objects.get().recommend_score == 9

    page.reload()
    expect(page.get_by_test_id("survey-score")).to_have_text("9/10 recommend, 5/5 satisfied")
    expect(timeline).to_contain_text("Sally was brilliant.")
    expect(timeline).to_contain_text("Sent")  # the invitation's delivery, on the log
    fits(page)
    screenshot(page, "34-customer-timeline-375")

    page.goto(f"{system.url}/customers/satisfaction/")
    expect(page.get_by_test_id("nps")).to_have_text("+100")
    expect(page.get_by_test_id("answers")).to_have_text("1")
    expect(page.get_by_test_id("by-salesperson")).to_contain_text("Sally")
    fits(page)
    screenshot(page, "35-satisfaction-375")
