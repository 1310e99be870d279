"""A location's inventory page and its API twin: figures on a small data set worked out
by hand, ageing bands at their edges, who may see which location, the wrong method, and
a fixed number of queries however many cars, sales and transfers there are."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ifixit.accounts import roles
from ifixit.inventory.models import Phase, Transfer
from ifixit.inventory.sites import selectors
from ifixit.inventory.sites.tests.conftest import TODAY, move, sell
from ifixit.testing.factories import CarFactory, LocationFactory, RepairItemFactory, UserFactory

pytestmark = pytest.mark.usefixtures("clock")


def page_url(location) -> str:
    return reverse("location_detail", args=[location.pk])


def api_url(location) -> str:
    return reverse("api_location_figures", args=[location.pk])


def days_ago(n: int):
    return TODAY - timedelta(days=n)


def stock_car(location, *, phase, age: int | None, price: str, fees="0", transport="0", **fields):
    return CarFactory(
        location=location,
        phase=phase,
        purchased_on=None if age is None else days_ago(age),
        purchase_price=Decimal(price),
        auction_fees=Decimal(fees),
        transport_cost=Decimal(transport),
        **fields,
    )


@pytest.fixture
def known(north, south, manager, outsider):
    """North's stock, sales and transfers, small enough to add up by hand."""
    a = stock_car(north, phase=Phase.PURCHASED, age=30, price="1000", fees="100", transport="50")
    RepairItemFactory(car=a, parts_cost=Decimal(200), labour_cost=Decimal(100))  # a: 1,450
    stock_car(north, phase=Phase.FIXING, age=31, price="2000")
    c = stock_car(north, phase=Phase.READY, age=60, price="3000")
    RepairItemFactory(car=c, parts_cost=Decimal(300), labour_cost=Decimal(200))  # c: 3,500
    stock_car(north, phase=Phase.LISTED, age=61, price="4000")
    stock_car(north, phase=Phase.RESERVED, age=90, price="5000")
    f = stock_car(north, phase=Phase.LISTED, age=91, price="6000", make="Skoda", model="Octavia")
    g = stock_car(north, phase=Phase.IN_TRANSIT, age=None, price="700", make="Mazda", model="MX-5")
    # Not stock: sourced (not bought yet), sold, and South's.
    stock_car(north, phase=Phase.SOURCED, age=None, price="9999")
    stock_car(north, phase=Phase.SOLD, age=10, price="9999")
    stock_car(south, phase=Phase.LISTED, age=10, price="9999")

    sell(north, sold_on=TODAY.replace(day=3), price="9000", cost="7000")  # +2,000
    sell(north, sold_on=TODAY.replace(day=14), price="5000", cost="5500")  # -500
    sell(north, sold_on=TODAY.replace(month=6, day=30), price="8000", cost="6000")  # +2,000
    sell(north, sold_on=TODAY.replace(year=2025, month=12, day=1), price="4000", cost="3000")  # +1,000, first month
    sell(north, sold_on=TODAY.replace(year=2025, month=11, day=30), price="10000", cost="1000")  # 13 months ago
    sell(south, sold_on=TODAY.replace(day=5), price="7000", cost="1000")  # South's

    coming = CarFactory(location=south, phase=Phase.IN_TRANSIT, make="Audi", model="A3")
    incoming = move(coming, to=north, status=Transfer.Status.DISPATCHED, by=outsider)
    outgoing = move(g, to=south, status=Transfer.Status.DISPATCHED, by=manager)
    awaiting = move(f, to=south, status=Transfer.Status.APPROVED, by=manager)
    move(CarFactory(location=south), to=north, status=Transfer.Status.REQUESTED, by=outsider)  # not yet approved
    arrived = CarFactory(location=south, phase=Phase.READY)  # received: the car is South's now
    move(arrived, from_=north, to=south, status=Transfer.Status.RECEIVED, by=manager)
    return {"incoming": incoming, "outgoing": outgoing, "awaiting": awaiting}


# --- the figures ---------------------------------------------------------------------------


def test_the_figures_add_up_on_a_known_data_set(north, known):
    figures = selectors.location_figures(location=north)

    assert figures.as_of == TODAY
    assert {row.phase: (row.count, row.value) for row in figures.stock_by_phase} == {
        Phase.PURCHASED: (1, Decimal(1450)),
        Phase.IN_TRANSIT: (1, Decimal(700)),
        Phase.FIXING: (1, Decimal(2000)),
        Phase.READY: (1, Decimal(3500)),
        Phase.LISTED: (2, Decimal(10000)),
        Phase.RESERVED: (1, Decimal(5000)),
    }
    assert figures.stock_count == 7
    assert figures.stock_value == Decimal(22650)  # 1,450 + 2,000 + 3,500 + 4,000 + 5,000 + 6,000 + 700
    assert [(row.band.key, row.count, row.value) for row in figures.ageing] == [
        ("0-30", 1, Decimal(1450)),
        ("31-60", 2, Decimal(5500)),
        ("61-90", 2, Decimal(9000)),
        ("90+", 1, Decimal(6000)),
        ("unknown", 1, Decimal(700)),
    ]

    assert figures.incoming == [known["incoming"]]
    assert figures.outgoing == [known["outgoing"]]
    assert figures.awaiting_dispatch == [known["awaiting"]]

    assert [m.month.isoformat() for m in figures.months][:2] == ["2025-12-01", "2026-01-01"]
    assert len(figures.months) == 12 and figures.months[-1].month.isoformat() == "2026-11-01"
    by_month = {m.month.isoformat()[:7]: (m.sales, m.revenue, m.gross_profit) for m in figures.months if m.sales}
    assert by_month == {
        "2025-12": (1, Decimal(4000), Decimal(1000)),
        "2026-06": (1, Decimal(8000), Decimal(2000)),
        "2026-11": (2, Decimal(14000), Decimal(1500)),
    }
    assert (figures.sales_count, figures.revenue, figures.gross_profit) == (4, Decimal(26000), Decimal(4500))


@pytest.mark.parametrize(
    "age, band",
    [
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
        (800, "90+"),
        (-3, "0-30"),  # bought "in the future": a typo is still new stock, not lost
        (None, "unknown"),
    ],
)
def test_ageing_bands_meet_at_their_edges(north, age, band):
    stock_car(north, phase=Phase.READY, age=age, price="1234")
    figures = selectors.location_figures(location=north)
    counts = {row.band.key: (row.count, row.value) for row in figures.ageing}
    assert counts[band] == (1, Decimal(1234))
    assert sum(count for count, _ in counts.values()) == 1


def test_ages_count_from_the_locations_own_midnight(north, clock):
    """At 23:30 in London it is already tomorrow in Auckland: a car bought 30 days ago
    there has turned 31 days old."""
    auckland = LocationFactory(name="Auckland", code="AKL", time_zone="Pacific/Auckland")
    clock.move_to("2026-11-15T23:30:00+00:00")
    stock_car(auckland, phase=Phase.READY, age=30, price="1000")
    stock_car(north, phase=Phase.READY, age=30, price="1000")
    assert [r.count for r in selectors.location_figures(location=north).ageing][:2] == [1, 0]
    assert selectors.location_figures(location=auckland).as_of.isoformat() == "2026-11-16"
    assert [r.count for r in selectors.location_figures(location=auckland).ageing][:2] == [0, 1]


def test_a_location_with_nothing_shows_zeros_and_twelve_empty_months(north):
    figures = selectors.location_figures(location=north)
    assert (figures.stock_count, figures.stock_value, figures.sales_count) == (0, Decimal(0), 0)
    assert [row.count for row in figures.ageing] == [0, 0, 0, 0, 0]
    assert len(figures.months) == 12 and not any(m.sales for m in figures.months)


# --- the page --------------------------------------------------------------------------------


def test_the_page_shows_stock_ageing_moves_and_sales(client, manager, north, known):
    client.force_login(manager)
    response = client.get(page_url(north))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="stock-count">7<' in body
    assert 'data-testid="stock-value">£22,650<' in body
    assert 'data-testid="gross-profit">£4,500<' in body
    assert 'data-testid="sales-count">4<' in body
    assert re.search(r'data-band="31-60".*?<td class="num">2</td>\s*<td class="num">£5,500</td>', body, re.DOTALL)
    # Sold, of which for cash and on finance (the known sales are cash sales), revenue, profit.
    november = (
        r'data-month="2026-11">.*?>2</td>\s*<td class="num" data-testid="cash-sales">2</td>\s*'
        r'<td class="num" data-testid="finance-sales">0</td>\s*<td class="num">£14,000</td>\s*<td class="num">£1,500</td>'
    )
    assert re.search(november, body, re.DOTALL)
    incoming = body[body.index('data-testid="incoming"') : body.index('data-testid="outgoing"')]
    assert "Audi A3" in incoming and "STH → NTH" in incoming
    assert reverse("transfer_detail", args=[known["incoming"].pk]) in incoming
    outgoing = body[body.index('data-testid="outgoing"') : body.index('data-testid="awaiting"')]
    assert "Mazda MX-5" in outgoing and "NTH → STH" in outgoing
    awaiting = body[body.index('data-testid="awaiting"') :]
    assert "Skoda Octavia" in awaiting
    assert body.count("<rect ") == 12  # one bar a month
    assert f'href="{reverse("car_list")}?location={north.pk}&amp;phase=listed">2<' in body
    assert reverse("location_edit", args=[north.pk]) not in body  # not an admin


def test_the_page_draws_a_loss_below_the_baseline(client, manager, north):
    sell(north, sold_on=TODAY, price="1000", cost="3000")
    sell(north, sold_on=TODAY.replace(month=10), price="5000", cost="2000")
    client.force_login(manager)
    chart = client.get(page_url(north)).context["chart"]
    october, november = chart.bars[-2], chart.bars[-1]
    assert november.negative and november.y == chart.baseline_y and november.height > 0
    assert not october.negative and october.y + october.height == pytest.approx(chart.baseline_y)
    assert october.height == pytest.approx(november.height * 1.5)  # 3,000 profit against a 2,000 loss


def test_the_page_redirects_anonymous_to_sign_in(client, north):
    response = client.get(page_url(north))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_page_refuses_post(client, manager, north):
    client.force_login(manager)
    assert client.post(page_url(north)).status_code == 405


def test_an_inactive_location_keeps_its_page_for_its_staff(client, manager, north):
    north.is_active = False
    north.save()
    client.force_login(manager)
    response = client.get(page_url(north))
    assert response.status_code == 200 and "Inactive" in response.content.decode()


# --- who sees which location: pages and API ------------------------------------------------------


@pytest.fixture
def both_manager(north, south):
    return UserFactory(username="bo", role=roles.MANAGER, locations=[north, south])


@pytest.mark.parametrize(
    "who, sees_north, sees_south",
    [
        ("manager", True, False),
        ("outsider", False, True),
        ("workshop_user", True, False),
        ("both_manager", True, True),
        ("admin_user", True, True),
    ],
)
def test_the_permission_matrix_for_pages_and_api(
    request, client, north, south, known, who, sees_north, sees_south, api_for
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    api = api_for(user)
    for location, sees in ((north, sees_north), (south, sees_south)):
        expected = 200 if sees else 404
        assert client.get(page_url(location)).status_code == expected, (who, location.code, "page")
        assert api.get(api_url(location)).status_code == expected, (who, location.code, "api")


def test_admins_reach_an_inactive_location_others_cannot_see(client, admin_user, outsider):
    closed = LocationFactory(name="Closed Yard", code="CLS", is_active=False)
    client.force_login(admin_user)
    assert client.get(page_url(closed)).status_code == 200
    client.force_login(outsider)
    assert client.get(page_url(closed)).status_code == 404


@pytest.mark.parametrize("location_id", [0, 999999])
def test_a_location_that_does_not_exist_is_404(client, admin_user, location_id):
    client.force_login(admin_user)
    assert client.get(f"/locations/{location_id}/").status_code == 404
    assert client.get(f"/api/v1/locations/{location_id}/figures/").status_code == 404


# --- the API -----------------------------------------------------------------------------------


def test_the_api_returns_the_same_figures(manager, north, known, api_for):
    api = api_for(manager)
    response = api.get(api_url(north))
    assert response.status_code == 200
    data = response.json()
    assert data["location"] == {"id": north.pk, "code": "NTH", "name": "North Yard"}
    assert data["as_of"] == "2026-11-15" and data["is_active"] is True
    assert data["stock_count"] == 7 and data["stock_value_at_cost"] == "22650.00"
    assert {row["phase"]: row["count"] for row in data["stock_by_phase"]} == {
        "purchased": 1,
        "in_transit": 1,
        "fixing": 1,
        "ready": 1,
        "listed": 2,
        "reserved": 1,
    }
    assert [(b["band"], b["count"], b["value_at_cost"]) for b in data["ageing"]] == [
        ("0-30", 1, "1450.00"),
        ("31-60", 2, "5500.00"),
        ("61-90", 2, "9000.00"),
        ("90+", 1, "6000.00"),
        ("unknown", 1, "700.00"),
    ]
    assert [t["id"] for t in data["incoming"]] == [known["incoming"].pk]
    assert data["incoming"][0]["car"]["make"] == "Audi" and data["incoming"][0]["from_location"]["code"] == "STH"
    assert [t["id"] for t in data["outgoing"]] == [known["outgoing"].pk]
    assert [t["status"] for t in data["awaiting_dispatch"]] == ["approved"]
    assert len(data["months"]) == 12
    assert data["months"][-1] == {"month": "2026-11-01", "sales": 2, "revenue": "14000.00", "gross_profit": "1500.00"}
    assert (data["sales_count"], data["revenue"], data["gross_profit"]) == (4, "26000.00", "4500.00")


def test_the_api_refuses_anonymous_and_post(client, manager, north, anon, api_for):
    assert anon.get(api_url(north)).status_code == 401
    api = api_for(manager)
    assert api.post(api_url(north), {}).status_code == 405


# --- a fixed number of queries -------------------------------------------------------------------


def _grow(north, south, user, cars: int):
    """`cars` cars in every stock phase and age, with repairs, sales and transfers both ways."""
    phases = [Phase.PURCHASED, Phase.FIXING, Phase.READY, Phase.LISTED, Phase.RESERVED, Phase.IN_TRANSIT]
    for n in range(cars):
        car = stock_car(north, phase=phases[n % len(phases)], age=None if n % 7 == 0 else n * 3, price="1000")
        RepairItemFactory(car=car)
        sell(north, sold_on=TODAY - timedelta(days=n * 9), price="5000", cost="4000")
        if n % 3 == 0:
            move(car, to=south, status=Transfer.Status.APPROVED, by=user)
        elif n % 3 == 1:
            coming = CarFactory(location=south, phase=Phase.IN_TRANSIT)
            move(coming, to=north, status=Transfer.Status.DISPATCHED, by=user)


def _queries(fetch) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert fetch().status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("kind", ["page", "api"])
def test_the_page_and_api_run_a_fixed_number_of_queries(client, admin_user, north, south, kind, api_for):
    client.force_login(admin_user)
    api = api_for(admin_user)
    fetch = (lambda: client.get(page_url(north))) if kind == "page" else (lambda: api.get(api_url(north)))
    _grow(north, south, admin_user, 3)
    few = _queries(fetch)
    _grow(north, south, admin_user, 37)
    many = _queries(fetch)
    figures = selectors.location_figures(location=north)
    assert figures.stock_count == 40 and len(figures.incoming) == 13 and len(figures.awaiting_dispatch) == 14
    assert few == many, f"{few} queries with 3 cars, {many} with 40"
