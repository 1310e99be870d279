"""What a newcomer meets after `make run`, checked from outside as they would: every
process healthy, each demo role's navigation working in a real browser at 375 and 1280 px
(no 4xx/5xx, no console errors, no failed requests, nothing sideways at 375 px), a live
bid on the auction board and a notification reaching the bell, both without a reload.

Run by .ci/newcomer.sh against NEWCOMER_URL (default http://127.0.0.1:8000)."""

import json
import os
import shutil
import urllib.request
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import sync_playwright

BASE = os.environ.get("NEWCOMER_URL", "http://127.0.0.1:8000").rstrip("/")
PASSWORD = "demo-pass-2026"
ROLES = {"admin": "admin", "manager": "manager.leeds", "buyer": "buyer", "sales": "sales.leeds", "workshop": "workshop.leeds"}
WIDTHS = [375, 1280]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
# Pages that are not ours to lay out at 375 px: Django's admin and the API's Swagger UI.
NOT_OURS = ("/admin/", "/api/docs/")


@pytest.fixture(scope="session")
def browser():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail("Debian's Chromium is missing: `sudo apt-get install chromium` (nothing downloads a browser)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watch:
    """Everything that went wrong on a page: bad responses, failed requests, console errors."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("response", self._response)
        page.on("requestfailed", self._failed)
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(f"console: {msg.text} at {msg.location.get('url')} on {page.url}"))
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"{response.status} {response.url}")

    def _failed(self, request):
        # A request cut off by navigating to the next page (an htmx poll, a socket) is the
        # browser's doing, not a failure of the system.
        if "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"failed: {request.url} ({request.failure})")


def sign_in(browser, username: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 500, has_touch=width < 500)
    page = context.new_page()
    page.set_default_timeout(20_000)
    watch = Watch(page)
    page.goto(f"{BASE}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return context, page, watch


def test_every_process_is_healthy():
    with urllib.request.urlopen(f"{BASE}/healthz?processes=1", timeout=30) as response:
        body = json.load(response)
    assert response.status == 200 and body["status"] == "ok", body
    assert set(body["processes"]) >= {"web", "worker", "beat", "feeds", "simulator"}, body


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_opens_every_item_of_its_navigation(browser, role, width):
    context, page, watch = sign_in(browser, ROLES[role], width)
    try:
        links = page.eval_on_selector_all(
            "header a[href]", "links => links.map(a => a.getAttribute('href'))"
        )
        hrefs = sorted({urljoin(BASE + "/", href) for href in links if not href.startswith("#")})
        assert len(hrefs) >= 5, f"{role} sees only {hrefs}"
        problems = []
        for href in hrefs:
            if urlparse(href).netloc != urlparse(BASE).netloc:
                problems.append(f"{href}: a link off the system")
                continue
            response = page.goto(href, wait_until="networkidle" if "/auctions/" not in href else "load")
            if response is None or response.status >= 400:
                problems.append(f"{href}: {response.status if response else 'no response'}")
            path = urlparse(href).path
            if width == 375 and not path.startswith(NOT_OURS):
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > 375:
                    problems.append(f"{href}: scrolls sideways ({scroll} px wide)")
        problems += watch.problems
        assert not problems, f"{role} at {width} px:\n  " + "\n  ".join(problems)
    finally:
        context.close()


def test_the_auction_board_shows_a_bid_change_without_a_reload(browser):
    context, page, watch = sign_in(browser, ROLES["buyer"], 375)
    try:
        page.goto(f"{BASE}/auctions/")
        page.wait_for_selector("#live-state")
        before = page.eval_on_selector_all("[data-field=current_bid]", "els => els.map(e => e.textContent)")
        page.evaluate("window.__notReloaded = true")
        page.wait_for_function(
            """before => {
                const now = [...document.querySelectorAll('[data-field=current_bid]')].map(e => e.textContent);
                return now.length && (now.length !== before.length || now.some((t, i) => t !== before[i]));
            }""",
            arg=before,
            timeout=30_000,
        )
        assert page.evaluate("window.__notReloaded") is True, "the board reloaded instead of updating"
    finally:
        context.close()


def test_a_notification_reaches_the_bell_over_the_websocket(browser):
    context, page, watch = sign_in(browser, ROLES["buyer"], 375)
    try:
        page.wait_for_selector("#bell[data-live=true]", state="attached", timeout=20_000)
        before = page.get_attribute("#bell", "aria-label")
        page.evaluate("window.__notReloaded = true")
        # The buyer's demo bidding preferences match lots as the simulator lists them.
        page.wait_for_function("before => document.getElementById('bell').getAttribute('aria-label') !== before",
                               arg=before, timeout=120_000)
        assert page.evaluate("window.__notReloaded") is True
    finally:
        context.close()
