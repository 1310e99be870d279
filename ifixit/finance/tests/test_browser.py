"""On a phone (375 px), against the real web process: a salesperson sells a car on
finance with a part-exchange (the car cannot be handed over yet), makes the
application and sees its monthly payment before submitting it; the finance manager records the lender's approval and the
payout; the salesperson is told, and hands the car over."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ifixit.finance.models import FinanceApplication, Status
from ifixit.inventory.models import Phase, Sale
from ifixit.inventory.tests.test_browser import sign_in
from ifixit.notifications.models import Notification
from ifixit.testing.browser import follow_nav_link, screenshot
from ifixit.testing.factories import CarFactory, CustomerFactory, LenderFactory, UserFactory
from ifixit.testing.live import fits
from ifixit.testing.processes import process_env, start_web

pytestmark = [pytest.mark.browser, pytest.mark.real_password_hashing, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def web(tmp_path):
    server = start_web("finance-web", tmp_path, process_env())
    yield server
    server.kill()


def test_sell_on_finance_apply_approve_fund_and_deliver_on_a_phone(web, phone, chromium, north):
    sally = UserFactory(
        username="sally", first_name="Sally", role="sales", password="sally-long-password", locations=[north]
    )
    UserFactory(username="fred", first_name="Fred", role="manager", password="fred-long-password", locations=[north])
    LenderFactory(name="Northgate Motor Finance", typical_decision_hours=4)
    CustomerFactory(name="Priya Shah", email="priya@example.com", locations=[north])
    car = CarFactory(location=north, phase=Phase.RESERVED, make="Skoda", model="Octavia", asking_price=Decimal(10995))
    page = phone

    # The salesperson sells the car on finance, with the customer's old car in part-exchange.
    sign_in(page, web.url, "sally", "sally-long-password")
    page.goto(f"{web.url}/cars/{car.pk}/")
    page.get_by_role("link", name="Record sale").click()
    page.get_by_label("Find by name, email or phone").fill("Priya")
    page.get_by_label("Find by name, email or phone").press("Enter")
    page.get_by_test_id("customer-matches").get_by_role("link", name="Priya Shah").click()
    page.locator("#id_price").fill("10500")
    page.get_by_label("Finance", exact=True).check()
    page.get_by_text("Part-exchange", exact=True).click()
    page.locator("#id_part_exchange_allowance").fill("1500")
    page.locator("#id_part_exchange_registration").fill("ab12 cde")
    page.locator("#id_part_exchange_description").fill("2014 Ford Fiesta")
    fits(page)
    screenshot(page, "40-sale-on-finance-375")
    page.get_by_role("button", name="Record sale").click()
    expect(page.get_by_test_id("sale-payment")).to_have_text("Finance + part-exchange")
    expect(page.get_by_test_id("sale-delivery")).to_contain_text("waiting for the finance to be funded")
    expect(page.get_by_role("button", name="Mark delivered")).to_have_count(0)  # not before the lender pays

    # The application: the monthly payment shows as the figures are typed.
    page.get_by_role("link", name="New finance application").click()
    expect(page.get_by_test_id("chosen-customer")).to_have_text("Priya Shah")
    page.locator("#id_lender").select_option(label="Northgate Motor Finance")
    page.locator("#id_deposit").fill("1000")
    page.locator("#id_term_months").fill("48")
    page.locator("#id_apr").fill("9.9")
    expect(page.get_by_test_id("monthly-payment")).to_have_text("£200.90 a month")
    fits(page)
    screenshot(page, "41-finance-quote-375")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_test_id("application-status")).to_have_text("Draft")
    page.get_by_text("Submit to Northgate Motor Finance").click()
    page.get_by_test_id("move-submitted").get_by_label("Lender's reference").fill("NG-20431")
    page.get_by_role("button", name="Record: Submitted").click()
    expect(page.get_by_test_id("application-status")).to_have_text("Submitted")
    expect(page.get_by_test_id("waiting")).to_contain_text("usually takes 4 h")
    application = FinanceApplication.objects.get()
    assert (application.amount_financed, application.monthly_payment) == (Decimal("8000.00"), Decimal("200.90"))

    # The finance manager records the lender's answers.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, web.url, "fred", "fred-long-password")
    follow_nav_link(page, "Finance")
    page.get_by_test_id("application-list").get_by_role("link", name="Priya Shah").click()
    for summary, button, status in [
        ("Lender approved it", "Record: Approved", "Approved"),
        ("Customer signed the contract", "Record: Contract signed", "Contract signed"),
        ("Lender paid out: funded", "Record: Funded", "Funded"),
    ]:
        page.get_by_text(summary).click()
        page.get_by_role("button", name=button).click()
        expect(page.get_by_test_id("application-status")).to_have_text(status)
    history = page.get_by_test_id("application-history")
    for step in ("Draft", "Submitted", "Approved", "Contract signed", "Funded"):
        expect(history).to_contain_text(step)
    fits(page)
    screenshot(page, "42-finance-application-funded-375")
    assert Notification.objects.filter(
        recipient=sally, kind="finance_update", title__contains="approved Priya Shah"
    ).exists()

    # The salesperson hands the car over.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, web.url, "sally", "sally-long-password")
    page.goto(f"{web.url}/cars/{car.pk}/")
    expect(page.get_by_test_id("car-finance")).to_contain_text("Funded")
    page.get_by_role("button", name="Mark delivered").click()
    expect(page.get_by_test_id("sale-delivery")).not_to_contain_text("Not yet")
    fits(page)
    screenshot(page, "43-finance-car-delivered-375")
    sale = Sale.objects.get()
    assert sale.delivered_at is not None and sale.delivered_by == sally
    assert FinanceApplication.objects.get().status == Status.FUNDED

    page.goto(f"{web.url}/finance/figures/")
    expect(page.get_by_test_id("finance-kpis")).to_contain_text("100%")
    fits(page)
    screenshot(page, "44-finance-figures-375")
