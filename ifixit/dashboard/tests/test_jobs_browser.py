"""The job pages in Chromium, at 375 px and 1280 px: an admin opens the jobs overview (its live
part refreshes itself), follows a dead letter and discards it with a reason."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ifixit.inventory.tests.test_browser import sign_in
from ifixit.jobs.models import JobRun
from ifixit.testing.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.real_password_hashing, pytest.mark.django_db(transaction=True)]


def history():
    now = timezone.now()
    for hour in range(24):
        for i in range(hour % 5 + 1):
            finished = now - datetime.timedelta(hours=hour, minutes=i)
            JobRun.objects.create(task_id=f"ok-{hour}-{i}", task="ifixit.reports.tasks.execute_run", state="succeeded",
                                  runtime_ms=120 + 40 * i, started_at=finished, finished_at=finished, worker="worker@yard")
    return JobRun.objects.create(
        task_id="dead-1", task="ifixit.notifications.tasks.deliver", state="dead", attempt=6, runtime_ms=3000,
        started_at=now, finished_at=now, worker="worker@yard", about="reports.run:3", args=[12], kwargs={},
        error="SMTPServerDisconnected: mail.example.com hung up", traceback="Traceback (most recent call last):\n  ...",
    )


@pytest.mark.parametrize("width", [375, 1280])
def test_an_admin_reads_the_jobs_and_discards_a_dead_letter(live_server, chromium, admin_user, width):
    admin_user.set_password("ada-long-password")
    admin_user.save()
    dead = history()
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "ada", "ada-long-password")
        page.goto(f"{live_server.url}/ops/jobs/")
        expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
        expect(page.get_by_test_id("task-stats")).to_contain_text("reports.tasks.execute_run")
        expect(page.get_by_test_id("runs-chart")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
        with page.expect_response(lambda r: "part=live" in r.url, timeout=15_000):  # htmx polls the live part
            pass
        screenshot(page, f"50-jobs-overview-{width}")
        page.get_by_role("link", name="Dead letters (1)").click()
        page.get_by_role("link", name="ifixit.notifications.tasks.deliver").click()
        expect(page.get_by_test_id("run-state")).to_have_text("Failed for good")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"51-jobs-dead-letter-{width}")
        page.get_by_label("Why discard it?").fill("Customer already told by phone")
        page.get_by_role("button", name="Discard").click()
        expect(page.get_by_text("Discarded.")).to_be_visible()
    finally:
        context.close()
    dead.refresh_from_db()
    assert dead.resolution == "discarded" and dead.resolved_by == admin_user
