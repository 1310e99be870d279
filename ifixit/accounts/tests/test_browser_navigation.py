"""The main navigation in Debian's Chromium: on a phone (375 px) the header is two rows,
the role's daily links and the account links, with the rest behind a Menu opened by a
tap (with or without JavaScript); on a desktop (1280 px) every link sits in one row.
Screenshots go to test-artifacts/."""

import pytest
from playwright.sync_api import expect

from ifixit.accounts import roles
from ifixit.accounts.tests.test_navigation import DAILY_LINKS, MENU_LINKS
from ifixit.testing.browser import PHONE, screenshot
from ifixit.testing.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "nav-long-password"
DESKTOP = {"width": 1280, "height": 900}
# Two rows of 44 px tap targets and the header's padding; before the Menu a manager's
# header was 244 px tall at 375 px.
PHONE_HEADER_MAX = 120

ROW_TOPS = """nav => [...nav.querySelectorAll('a, summary')]
  .filter(el => el.checkVisibility())
  .map(el => Math.round(el.getBoundingClientRect().top))"""


def sign_in(page, base_url: str, role: str) -> None:
    UserFactory(username=role, role=role, is_superuser=role == roles.ADMIN, password=PASSWORD)
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(role)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def visible_labels(locator) -> list[str]:
    return [link.inner_text().strip() for link in locator.all() if link.is_visible()]


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"the page scrolls sideways at {width} px"


@pytest.mark.parametrize("role", roles.ROLES)
def test_on_a_phone_the_header_is_two_rows_with_the_daily_links_in_view(live_server, phone, role):
    page = phone
    sign_in(page, live_server.url, role)
    nav = main_nav(page)

    header = page.locator("header.topbar").bounding_box()
    assert header["height"] < PHONE_HEADER_MAX, f"the header is {header['height']} px tall"
    assert visible_labels(nav.locator(":scope > a")) == DAILY_LINKS[role]
    assert visible_labels(nav.locator(".nav-menu-items a")) == []
    assert len(set(nav.evaluate(ROW_TOPS))) == 2, "not two rows: the Menu beside the account links, the daily links"
    assert nav.bounding_box()["height"] <= 52
    fits(page, PHONE["width"])
    screenshot(page, f"nav-{role}-375")


@pytest.mark.parametrize("role, link", [(roles.MANAGER, "Locations"), (roles.BUYER, "Transfers")])
def test_on_a_phone_the_menu_opens_by_a_tap_and_its_links_work(live_server, phone, role, link):
    page = phone
    sign_in(page, live_server.url, role)
    nav = main_nav(page)
    menu = nav.locator("details.nav-menu")
    summary = menu.locator("summary")

    summary.tap()
    expect(menu).to_have_attribute("open", "")
    assert visible_labels(nav.locator(".nav-menu-items a")) == MENU_LINKS[role]
    panel = nav.locator(".nav-menu-items").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= PHONE["width"]
    fits(page, PHONE["width"])
    screenshot(page, f"nav-{role}-menu-open-375")

    summary.tap()  # a second tap closes it
    expect(menu).not_to_have_attribute("open", "")
    summary.tap()
    page.get_by_role("heading", name="Dashboard").tap()  # so does a tap elsewhere
    expect(menu).not_to_have_attribute("open", "")

    summary.tap()
    nav.get_by_role("link", name=link, exact=True).tap()
    expect(page.get_by_role("heading", name=link, exact=True)).to_be_visible()
    expect(menu).not_to_have_attribute("open", "")
    expect(nav.locator('.nav-menu-items a[aria-current="page"]')).to_have_text(link)  # the page you are on
    screenshot(page, f"nav-{role}-on-a-menu-page-375")


def test_the_menu_works_from_the_keyboard(live_server, phone):
    page = phone
    sign_in(page, live_server.url, roles.MANAGER)
    menu = main_nav(page).locator("details.nav-menu")
    summary = menu.locator("summary")

    summary.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    expect(main_nav(page).get_by_role("link", name="Auctions")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()
    page.keyboard.press("Space")
    expect(menu).to_have_attribute("open", "")


def test_the_menu_opens_and_its_links_work_without_javascript(live_server, chromium):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server.url, roles.SALES)
        nav = main_nav(page)
        summary = nav.locator("details.nav-menu summary")
        summary.tap()
        assert visible_labels(nav.locator(".nav-menu-items a")) == MENU_LINKS[roles.SALES]
        summary.tap()
        assert visible_labels(nav.locator(".nav-menu-items a")) == []
        summary.tap()
        nav.get_by_role("link", name="Finance").tap()
        expect(page.get_by_role("heading", name="Finance", exact=True)).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("role", roles.ROLES)
def test_on_a_desktop_every_link_is_in_one_row(live_server, chromium, role):
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server.url, role)
        nav = main_nav(page)
        assert sorted(visible_labels(nav.get_by_role("link"))) == sorted(DAILY_LINKS[role] + MENU_LINKS[role])
        expect(nav.locator("summary")).to_be_hidden()
        assert len(set(nav.evaluate(ROW_TOPS))) == 1, "the navigation wraps at 1280 px"
        fits(page, DESKTOP["width"])
        screenshot(page, f"nav-{role}-1280")
    finally:
        context.close()
