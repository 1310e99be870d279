"""The main navigation in the page header: every page a user may open from it, split
into the few their role uses every day and the rest.

A phone shows the daily links in one row and the rest behind one Menu; a wide screen
shows them all in one row. Who may follow a link is decided by permission, as the page
behind it decides; the role only chooses which links are daily.
"""

from dataclasses import dataclass

from django.urls import reverse

from ifixit.accounts import roles


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str = ""  # "app_label.codename" the user must hold, if any
    admins_only: bool = False  # superusers and the admin role
    staff_only: bool = False  # Django's admin site
    current_on: tuple[str, ...] = ()  # url names on which this link is the current page
    current_prefixes: tuple[str, ...] = ()  # ... and url name prefixes

    def allows(self, user) -> bool:
        if self.permission and not user.has_perm(self.permission):
            return False
        if self.admins_only and not (user.is_superuser or user.role == roles.ADMIN):
            return False
        return user.is_staff or not self.staff_only

    def is_current(self, url_name: str) -> bool:
        return url_name in self.current_on or bool(self.current_prefixes and url_name.startswith(self.current_prefixes))


# Both rows keep this order; a wide screen shows the daily links first, then the rest.
ITEMS = [
    NavItem("Dashboard", "home", current_on=("home",)),
    NavItem("Cars", "car_list", current_on=("car_list",)),
    NavItem("Auctions", "lot_board", permission="auctions.view_lot", current_on=("lot_board",)),
    NavItem(
        "Customers", "customer_list", permission="crm.view_customer",
        current_on=("satisfaction",), current_prefixes=("customer",),
    ),
    NavItem("Follow-ups", "follow_up_list", permission="crm.view_followup", current_on=("follow_up_list",)),
    NavItem(
        "Finance", "finance_board", permission="finance.view_financeapplication",
        current_prefixes=("finance_", "lender"),
    ),
    NavItem("Market", "analytics_market", permission="auctions.view_lot", current_prefixes=("analytics_",)),
    NavItem("Reports", "report_catalogue", current_prefixes=("report_",)),
    NavItem("Repairs", "repair_board", current_on=("repair_board",)),
    NavItem("Locations", "location_list", current_prefixes=("location_",)),
    NavItem("Transfers", "transfer_list", current_on=("transfer_list",)),
    NavItem("Add car", "car_create", permission="inventory.add_car", current_on=("car_create",)),
    NavItem("Integrations", "integration_dashboard", admins_only=True, current_on=("integration_dashboard",)),
    NavItem("Jobs", "jobs_overview", admins_only=True, current_on=("jobs_overview",), current_prefixes=("job_",)),
    NavItem("Admin", "admin:index", staff_only=True),
    NavItem("API", "api-docs"),
]

# What each role opens many times a day. At most four: with the Menu beside the account
# links, four fit one row of a 375 px phone.
EVERY_ROLE = ("home", "car_list")
DAILY: dict[str, tuple[str, ...]] = {
    roles.ADMIN: (*EVERY_ROLE, "repair_board", "report_catalogue"),
    roles.MANAGER: (*EVERY_ROLE, "repair_board", "report_catalogue"),
    roles.BUYER: (*EVERY_ROLE, "lot_board", "car_create"),
    roles.SALES: (*EVERY_ROLE, "customer_list", "follow_up_list"),
    roles.WORKSHOP: (*EVERY_ROLE, "repair_board"),
}


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class MainNavigation:
    daily: list[NavLink]
    more: list[NavLink]


def main_navigation_for(user, *, url_name: str) -> MainNavigation:
    """The links `user` may follow, daily ones apart, marking the one for `url_name`."""
    daily_names = DAILY.get(user.role, EVERY_ROLE)
    daily, more = [], []
    for item in ITEMS:
        if item.allows(user):
            link = NavLink(item.label, reverse(item.url_name), item.is_current(url_name))
            (daily if item.url_name in daily_names else more).append(link)
    return MainNavigation(daily=daily, more=more)
