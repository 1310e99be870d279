"""In Chromium at 375 px, against a real ASGI server (uvicorn) and Redis: the bell's
count rises while the page is open, without a reload."""

import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from ifixit.inventory.tests.test_browser import sign_in
from ifixit.notifications import services
from ifixit.testing.browser import screenshot
from ifixit.testing.factories import UserFactory
from ifixit.testing.processes import process_env, start_web

pytestmark = [pytest.mark.browser, pytest.mark.real_password_hashing, pytest.mark.django_db(transaction=True)]


def notify_elsewhere(**kwargs):
    """Notify from another thread, as a worker would: Playwright's event loop owns this
    one, and the channel layer's push needs a thread without a running loop."""

    def run():
        try:
            services.notify(**kwargs)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


@pytest.fixture
def web(tmp_path):
    proc = start_web("bell-web", tmp_path, process_env())
    yield proc
    proc.kill()


def test_the_bell_count_rises_live_while_the_page_is_open(web, phone, north):
    user = UserFactory(username="wendy", role="workshop", password="wendy-long-password", locations=[north])
    services.notify(recipient=user, kind="system", title="Already there")
    page = phone
    sign_in(page, web.url, "wendy", "wendy-long-password")
    bell = page.get_by_test_id("bell-count")
    expect(bell).to_have_text("1")
    expect(page.locator("#bell[data-live=true]")).to_have_count(1)  # the socket is open

    notify_elsewhere(recipient=user, kind="system", title="Car AB12 CDE overdue", link="/repair-board/")
    notify_elsewhere(recipient=user, kind="system", title="Second one")
    expect(bell).to_have_text("3")  # pushed, no reload
    screenshot(page, "10-bell-live-375")

    page.locator("#bell").click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.get_by_test_id("notification-list")).to_contain_text("Car AB12 CDE overdue")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "11-notifications-375")
    page.get_by_role("button", name="Mark all read").click()
    expect(bell).to_be_hidden()
