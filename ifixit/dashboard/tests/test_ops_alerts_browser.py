"""The open operations alerts on the jobs overview in Chromium, at 375 px and 1280 px: an admin
sees what is wrong, since when, and follows the alert to the page that shows it."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ifixit.auctions.models import AuctionSource, FeedHealth
from ifixit.dashboard import ops_alerts
from ifixit.inventory.tests.test_browser import sign_in
from ifixit.jobs.models import JobRun
from ifixit.testing.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.real_password_hashing, pytest.mark.django_db(transaction=True)]


def failing_world():
    now = timezone.now()
    source = AuctionSource.objects.create(
        name="Copart UK", url="http://127.0.0.1:1", created_at=now - datetime.timedelta(days=1)
    )
    FeedHealth.objects.create(
        source=source, state=FeedHealth.State.FAILING, last_message_at=now - datetime.timedelta(minutes=12)
    )
    for attempt in range(1, 5):
        finished = now - datetime.timedelta(minutes=5 - attempt)
        JobRun.objects.create(
            task_id="deliver-1",
            task="ifixit.notifications.tasks.deliver",
            state="dead" if attempt == 4 else "retrying",
            attempt=attempt,
            runtime_ms=3000,
            started_at=finished,
            finished_at=finished,
            worker="worker@yard",
        )
    return ops_alerts.ops_alerts_check(now=now)


@pytest.mark.parametrize("width", [375, 1280])
def test_an_admin_sees_the_open_alerts_and_follows_one(live_server, chromium, admin_user, width):
    admin_user.set_password("ada-long-password")
    admin_user.save()
    assert len(failing_world().opened) == 2
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "ada", "ada-long-password")
        page.goto(f"{live_server.url}/ops/jobs/")
        alerts = page.get_by_test_id("open-alerts")
        expect(alerts).to_contain_text("Feed “Copart UK” down")
        expect(alerts).to_contain_text("Task notifications.tasks.deliver failing repeatedly")
        expect(alerts).to_contain_text("No message for 12 minutes")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
        screenshot(page, f"52-jobs-open-alerts-{width}")
        alerts.get_by_role("link", name="Feed “Copart UK” down").click()
        expect(page.get_by_role("heading", name="Integrations", exact=True)).to_be_visible()
    finally:
        context.close()
