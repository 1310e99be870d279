"""On a phone (375 px), against the real system (uvicorn, a Celery worker, a real SMTP
server on loopback): a manager opens a report, schedules it weekly to herself and the
accountant, presses "Send now", and sees the run in the schedule's history with its
file; the email with the attachment has arrived."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ifixit.inventory.models import Phase, Sale
from ifixit.inventory.tests.test_browser import sign_in
from ifixit.reports.models import Run, Schedule
from ifixit.testing.browser import screenshot
from ifixit.testing.factories import CarFactory, UserFactory
from ifixit.testing.live import fits
from ifixit.testing.processes import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.real_password_hashing, pytest.mark.django_db(transaction=True)]


def test_schedule_weekly_send_now_and_see_the_run_with_its_file_on_a_phone(system, phone, chromium, north, smtp_server):
    UserFactory(
        username="mia",
        first_name="Mia",
        role="manager",
        password="mia-long-password",
        email="mia@example.com",
        locations=[north],
    )
    for days_ago in (1, 2, 3):
        car = CarFactory(location=north, phase=Phase.SOLD, make="Skoda", model="Octavia")
        Sale.objects.create(
            car=car, sold_on=timezone.localdate() - timedelta(days=days_ago), price=Decimal(9500), location=north
        )
    page = phone
    sign_in(page, system.url, "mia", "mia-long-password")

    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Sales and gross profit").click()
    page.get_by_label("Period").select_option("last_7_days")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("report-table")).to_contain_text("Skoda Octavia")
    fits(page)
    screenshot(page, "50-report-on-screen-375")

    page.get_by_role("link", name="Schedule it").click()
    page.get_by_label("Name").fill("Weekly sales for the accountant")
    page.get_by_label("Period").select_option("last_7_days")
    page.get_by_label("Format").select_option("xlsx")
    page.get_by_role("radio", name="Weekly").check()
    page.get_by_label("On (weekly)").select_option(label="Monday")
    page.locator("#id_time_of_day").fill("07:30")
    page.get_by_label("Other email addresses").fill("accounts@example.com")
    fits(page)
    screenshot(page, "51-schedule-form-375")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("heading", name="Weekly sales for the accountant")).to_be_visible()
    expect(page.get_by_test_id("next-run")).to_contain_text("Mon")

    page.get_by_role("button", name="Send now").click()
    history = page.get_by_test_id("run-history")
    expect(history).to_contain_text("Sent", timeout=30_000)  # the worker made and mailed it; the page polled
    expect(history.get_by_test_id("run-file")).to_contain_text(".xlsx")
    expect(history).to_contain_text("accounts@example.com")
    fits(page)
    screenshot(page, "52-schedule-history-375")

    wait_for(lambda: smtp_server.messages, 10, "the email")
    [mail] = smtp_server.messages
    assert {"mia@example.com", "accounts@example.com"} == set(mail["X-Envelope-To"].split(", "))
    assert any(part.get_filename() and part.get_filename().endswith(".xlsx") for part in mail.walk())
    run = Run.objects.get()
    assert (run.status, run.row_count, run.schedule) == (Run.Status.SENT, 3, Schedule.objects.get())

    with page.expect_download() as download:
        history.get_by_test_id("run-file").click()
    assert download.value.suggested_filename == run.file_name
