"""The main navigation: each role sees its daily links in the header row and every other
link it may follow behind the Menu, and the current page is marked wherever its link is."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from ifixit.accounts import roles
from ifixit.testing.factories import UserFactory

# What each role sees. The union of a role's two lists is what the header offered before
# the Menu existed: the same permission checks, the same links.
DAILY_LINKS = {
    roles.ADMIN: ["Dashboard", "Cars", "Reports", "Repairs"],
    roles.MANAGER: ["Dashboard", "Cars", "Reports", "Repairs"],
    roles.BUYER: ["Dashboard", "Cars", "Auctions", "Add car"],
    roles.SALES: ["Dashboard", "Cars", "Customers", "Follow-ups"],
    roles.WORKSHOP: ["Dashboard", "Cars", "Repairs"],
}
MENU_LINKS = {
    roles.ADMIN: [
        "Auctions", "Customers", "Follow-ups", "Finance", "Market", "Locations", "Transfers", "Add car",
        "Integrations", "Jobs", "Admin", "API",
    ],
    roles.MANAGER: [
        "Auctions", "Customers", "Follow-ups", "Finance", "Market", "Locations", "Transfers", "Add car", "API",
    ],
    roles.BUYER: ["Market", "Reports", "Repairs", "Locations", "Transfers", "API"],
    roles.SALES: ["Finance", "Reports", "Repairs", "Locations", "Transfers", "API"],
    roles.WORKSHOP: ["Reports", "Locations", "Transfers", "API"],
}
URL_NAMES = {
    "Dashboard": "home",
    "Cars": "car_list",
    "Auctions": "lot_board",
    "Customers": "customer_list",
    "Follow-ups": "follow_up_list",
    "Finance": "finance_board",
    "Market": "analytics_market",
    "Reports": "report_catalogue",
    "Repairs": "repair_board",
    "Locations": "location_list",
    "Transfers": "transfer_list",
    "Add car": "car_create",
    "Integrations": "integration_dashboard",
    "Jobs": "jobs_overview",
    "Admin": "admin:index",
    "API": "api-docs",
}


class MainNav(HTMLParser):
    """The links of <nav aria-label="Main">, as (label, href, current, in_menu)."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[tuple[str, str, bool, bool]] = []
        self.summaries: list[str] = []
        self._depth = 0  # open elements inside the nav
        self._in_menu = False
        self._link = None
        self._summary = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and attrs.get("aria-label") == "Main":
            self._depth = 1
            return
        if not self._depth:
            return
        self._depth += 1
        if tag == "details":
            self._in_menu = True
        elif tag == "summary":
            self._summary = ""
        elif tag == "a":
            self._link = ["", attrs["href"], attrs.get("aria-current") == "page"]

    def handle_endtag(self, tag):
        if not self._depth:
            return
        self._depth -= 1
        if tag == "details":
            self._in_menu = False
        elif tag == "summary":
            self.summaries.append(self._summary.strip())
            self._summary = None
        elif tag == "a" and self._link is not None:
            label, href, current = self._link
            self.links.append((label.strip(), href, current, self._in_menu))
            self._link = None

    def handle_data(self, data):
        if self._link is not None:
            self._link[0] += data
        elif self._summary is not None:
            self._summary += data

    def row(self) -> list[str]:
        return [label for label, _, _, in_menu in self.links if not in_menu]

    def menu(self) -> list[str]:
        return [label for label, _, _, in_menu in self.links if in_menu]

    def current(self) -> list[str]:
        return [label for label, _, current, _ in self.links if current]


def nav_of(client, url: str) -> MainNav:
    response = client.get(url)
    assert response.status_code == 200
    return MainNav(response.content.decode())


def role_user(role: str, north, **extra):
    return UserFactory(role=role, is_superuser=role == roles.ADMIN, locations=[north], **extra)


@pytest.mark.parametrize("role", roles.ROLES)
def test_it_shows_a_role_its_daily_links_in_the_row_and_the_rest_behind_one_menu(client, north, role):
    client.force_login(role_user(role, north))
    nav = nav_of(client, reverse("home"))
    assert nav.row() == DAILY_LINKS[role]
    assert nav.menu() == MENU_LINKS[role]
    assert nav.summaries == ["Menu"]


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_link_goes_where_it_did(client, north, role):
    client.force_login(role_user(role, north))
    nav = nav_of(client, reverse("home"))
    assert {label: href for label, href, _, _ in nav.links} == {
        label: reverse(URL_NAMES[label]) for label in DAILY_LINKS[role] + MENU_LINKS[role]
    }


def test_an_admin_by_role_who_is_not_a_superuser_sees_every_link(client, north):
    client.force_login(UserFactory(role=roles.ADMIN, is_superuser=False))
    nav = nav_of(client, reverse("home"))
    assert nav.row() == DAILY_LINKS[roles.ADMIN] and nav.menu() == MENU_LINKS[roles.ADMIN]


def test_a_manager_who_is_staff_also_sees_the_admin_site(client, north):
    manager = role_user(roles.MANAGER, north)
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    assert nav_of(client, reverse("home")).menu() == MENU_LINKS[roles.MANAGER][:-1] + ["Admin", "API"]


def test_links_follow_permissions_not_the_role_name(client, north):
    """A workshop user granted the auction board's permission gets its links, in the Menu."""
    user = role_user(roles.WORKSHOP, north)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="auctions", codename="view_lot"))
    client.force_login(user)
    nav = nav_of(client, reverse("home"))
    assert nav.row() == ["Dashboard", "Cars", "Repairs"]
    assert nav.menu() == ["Auctions", "Market", "Reports", "Locations", "Transfers", "API"]


@pytest.mark.parametrize(
    "role, url_name, current",
    [
        (roles.MANAGER, "home", "Dashboard"),
        (roles.MANAGER, "car_list", "Cars"),
        (roles.MANAGER, "repair_board", "Repairs"),
        (roles.MANAGER, "report_catalogue", "Reports"),
        (roles.MANAGER, "location_list", "Locations"),
        (roles.MANAGER, "transfer_list", "Transfers"),
        (roles.MANAGER, "lot_board", "Auctions"),
        (roles.MANAGER, "analytics_import_list", "Market"),
        (roles.MANAGER, "lender_list", "Finance"),
        (roles.MANAGER, "customer_create", "Customers"),
        (roles.MANAGER, "car_create", "Add car"),
        (roles.SALES, "satisfaction", "Customers"),
        (roles.SALES, "follow_up_list", "Follow-ups"),
        (roles.SALES, "finance_board", "Finance"),
        (roles.BUYER, "car_create", "Add car"),
        (roles.ADMIN, "integration_dashboard", "Integrations"),
        (roles.MANAGER, "account", None),
    ],
)
def test_it_marks_the_current_page_in_the_row_or_the_menu(client, north, role, url_name, current):
    client.force_login(role_user(role, north))
    assert nav_of(client, reverse(url_name)).current() == ([current] if current else [])


def test_nobody_signed_out_sees_the_navigation(client, db):
    body = client.get(reverse("login")).content.decode()
    assert 'aria-label="Main"' not in body and "nav-menu" not in body
