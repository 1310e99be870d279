"""Make and model benchmarks: the figures on hand-computed data (medians, quartiles,
sample sizes, pooled ROI, grades), location scoping, a fixed number of queries, the page
(happy path, anonymous, a role without the permission, another location, the wrong
method, the htmx fragment and sorting) and the API."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from ifixit.accounts import roles
from ifixit.analytics import api_urls as benchmark_api_urls
from ifixit.analytics.benchmarks.selectors import MAKE_MODEL_BODY, benchmark_rows
from ifixit.analytics.benchmarks.views import default_period
from ifixit.inventory.models import Phase, PhaseChange, RepairItem, Sale
from ifixit.testing.factories import CarFactory, UserFactory

pytestmark = pytest.mark.urls("ifixit.analytics.benchmarks.tests.urls")

START, END = date(2025, 1, 1), date(2025, 12, 31)
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}


def sell(
    location,
    make,
    model,
    *,
    purchase,
    price,
    days=None,
    fees="0",
    transport="0",
    repairs=(),
    spells=(),
    body="hatchback",
    sold_on=date(2025, 6, 1),
):
    """A car bought `days` before `sold_on` (no purchase date when None), repaired for
    `repairs` (amounts) in `spells` (lengths in days, in fixing one after the other), sold at `location`."""
    car = CarFactory(
        location=location,
        make=make,
        model=model,
        body_type=body,
        phase=Phase.SOLD,
        purchased_on=sold_on - timedelta(days=days) if days is not None else None,
        purchase_price=Decimal(purchase),
        auction_fees=Decimal(fees),
        transport_cost=Decimal(transport),
    )
    for amount in repairs:
        RepairItem.objects.create(car=car, description="Work", parts_cost=Decimal(amount), labour_cost=Decimal(0))
    at = timezone.make_aware(datetime(2025, 3, 1, 9, 0))
    for length in spells:
        PhaseChange.objects.create(car=car, from_phase=Phase.READY, to_phase=Phase.FIXING, changed_at=at)
        at += timedelta(days=length)
        PhaseChange.objects.create(car=car, from_phase=Phase.FIXING, to_phase=Phase.READY, changed_at=at)
        at += timedelta(days=1)
    Sale.objects.create(car=car, sold_on=sold_on, price=Decimal(price), location=location)
    return car


@pytest.fixture
def sales(north, south):
    """Thirteen sales at North in 2025 and a few that must never count.

    Ford Focus (6): profit, days to sell, repair cost, repair days, ROI
        1. 7500 − (5000 + 200 fees + 100 transport + 700 repairs) = 1500;  10 days; 700;  2;   0.25
        2. 5000 − 4000 = 1000;                                              20 days;   0;  0;   0.25
        3. 8000 − 6000 = 2000;                                              30 days;   0;  4;   0.3333…
        4. 3800 − (3000 + 1000 repairs) = −200;                             40 days; 1000; 1.5+4.5=6; −0.05
        5. 7500 − 5000 = 2500;                                  no purchase date;   0;  0;   0.5
        6. 2600 − 2000 = 600;                                               60 days;   0;  0;   0.3
    Volkswagen Golf (5, written "VW"/"golf" and "Volkswagen"/"Golf"): cost 5000 each, profit
        300, 400, 500, 600, 700; 50, 60, 70, 80, 90 days; no repairs.
    Kia Ceed (2): cost 5000 each, profit 3000 and 4000; 5 and 7 days.
    """
    focus = [
        sell(
            north,
            "Ford",
            "Focus",
            purchase="5000",
            fees="200",
            transport="100",
            repairs=["300", "400"],
            spells=[2],
            price="7500",
            days=10,
        ),
        sell(north, "Ford", "Focus", purchase="4000", price="5000", days=20),
        sell(north, "Ford", "Focus", purchase="6000", price="8000", days=30, spells=[4]),
        sell(
            north,
            "Ford",
            "Focus",
            purchase="3000",
            repairs=["1000"],
            spells=[1.5, 4.5],
            price="3800",
            days=40,
            body="estate",
        ),
        sell(north, "Ford", "Focus", purchase="5000", price="7500", days=None, body="estate"),
        sell(north, "Ford", "Focus", purchase="2000", price="2600", days=60),
    ]
    for i, (profit, days) in enumerate([(300, 50), (400, 60), (500, 70), (600, 80), (700, 90)]):
        make, model = ("VW", "golf") if i % 2 else ("Volkswagen", "Golf")
        sell(north, make, model, purchase="5000", price=str(5000 + profit), days=days)
    sell(north, "Kia", "Ceed", purchase="5000", price="8000", days=5)
    sell(north, "Kia", "Ceed", purchase="5000", price="9000", days=7)
    # Never counted for North: sold at South, or outside the period.
    sell(south, "Ford", "Focus", purchase="1000", price="90000", days=1)
    sell(north, "Ford", "Focus", purchase="1000", price="90000", days=1, sold_on=date(2024, 12, 31))
    sell(north, "Ford", "Focus", purchase="1000", price="90000", days=1, sold_on=date(2026, 1, 1))
    return focus


def row_of(table, make, model, body=""):
    return next(row for row in table.rows if (row.make, row.model, row.body_type) == (make, model, body))


def fig(figure):
    return (figure.median, figure.p25, figure.p75, figure.n)


D = Decimal


# --- The figures --------------------------------------------------------------------------------------


def test_it_computes_each_make_and_models_medians_spreads_and_sample_sizes(manager, sales):
    table = benchmark_rows(user=manager, start=START, end=END)

    assert [(row.make, row.model, row.count) for row in table.rows] == [
        ("Ford", "Focus", 6),
        ("Volkswagen", "Golf", 5),
        ("Kia", "Ceed", 2),
    ]
    focus = row_of(table, "Ford", "Focus")
    # Profits sorted −200, 600, 1000, 1500, 2000, 2500: median (1000 + 1500) / 2; p25 at 1.25 → 600 + 0.25 × 400;
    # p75 at 3.75 → 1500 + 0.75 × 500.
    assert fig(focus.gross_profit) == (D("1250.00"), D("700.00"), D("1875.00"), 6)
    # Days 10, 20, 30, 40, 60 (one car has no purchase date): n is 5.
    assert fig(focus.days_to_sell) == (D("30.0"), D("20.0"), D("40.0"), 5)
    # Repairs 0, 0, 0, 0, 700, 1000: p75 at 3.75 → 0 + 0.75 × 700.
    assert fig(focus.repair_cost) == (D("0.00"), D("0.00"), D("525.00"), 6)
    # Days in fixing 0, 0, 0, 2, 4, 6 (the 4th car's two spells added up): median 1; p75 2 + 0.75 × 2.
    assert fig(focus.repair_days) == (D("1.0"), D("0.0"), D("3.5"), 6)
    # ROI −0.05, 0.25, 0.25, 0.3, 0.3333, 0.5: median (0.25 + 0.3) / 2; p75 0.3 + 0.75 × 0.0333.
    assert fig(focus.roi) == (D("0.2750"), D("0.2500"), D("0.3250"), 6)
    # Pooled: 7400 profit on 27000 cost.
    assert focus.pooled_roi == D("0.2741")
    assert (focus.total_profit, focus.total_cost) == (D("7400"), D("27000"))

    golf = row_of(table, "Volkswagen", "Golf")  # "VW golf" and "Volkswagen Golf" are one model
    assert fig(golf.gross_profit) == (D("500.00"), D("400.00"), D("600.00"), 5)
    assert fig(golf.days_to_sell) == (D("70.0"), D("60.0"), D("80.0"), 5)
    assert fig(golf.roi)[0] == D("0.1000") and golf.pooled_roi == D("0.1000")


def test_the_groups_average_pools_every_sale_of_the_table(manager, sales):
    group = benchmark_rows(user=manager, start=START, end=END).group

    assert group.count == 13
    # −200, 300, 400, 500, 600, 600, 700, 1000, 1500, 2000, 2500, 3000, 4000: the 7th, the 4th and the 10th.
    assert fig(group.gross_profit) == (D("700.00"), D("500.00"), D("2000.00"), 13)
    # 5, 7, 10, 20, 30, 40, 50, 60, 60, 70, 80, 90: (40 + 50) / 2; 10 + 0.75 × 10; 60 + 0.25 × 10.
    assert fig(group.days_to_sell) == (D("45.0"), D("17.5"), D("62.5"), 12)
    # 16900 profit (7400 + 2500 + 7000) on 62000 cost (27000 + 25000 + 10000).
    assert group.pooled_roi == D("0.2726")


def test_each_row_is_graded_against_the_group_on_profit_and_days_to_sell(manager, sales):
    table = benchmark_rows(user=manager, start=START, end=END)

    # Group: profit median 700, IQR 1500 (tolerance 375); days median 45, IQR 45 (tolerance 11.25).
    focus, golf, ceed = (
        row_of(table, *names) for names in [("Ford", "Focus"), ("Volkswagen", "Golf"), ("Kia", "Ceed")]
    )
    # Focus: 1250 is 550 above 700; 30 days is 15 fewer than 45: better on both.
    assert (focus.profit_vs_group, focus.days_vs_group, focus.grade) == ("better", "better", "A")
    # Golf: 500 is 200 below, within 375; 70 days is 25 more: at the group's level, and slower.
    assert (golf.profit_vs_group, golf.days_vs_group, golf.grade) == ("at", "worse", "D")
    # Ceed: two sales are too few to grade.
    assert (ceed.grade, ceed.profit_vs_group, ceed.grade_display) == (None, None, "too few sales")


def test_by_body_type_a_model_splits_and_a_split_too_small_is_not_graded(manager, sales):
    table = benchmark_rows(user=manager, start=START, end=END, group_by=MAKE_MODEL_BODY)

    hatch, estate = row_of(table, "Ford", "Focus", "hatchback"), row_of(table, "Ford", "Focus", "estate")
    assert (hatch.count, estate.count) == (4, 2)
    # Estates: −200 and 2500 profit; days only for the first (40).
    assert fig(estate.gross_profit) == (D("1150.00"), D("475.00"), D("1825.00"), 2)
    assert fig(estate.days_to_sell) == (D("40.0"), D("40.0"), D("40.0"), 1)
    assert hatch.grade is None and estate.grade is None and estate.label == "Ford Focus estate"
    assert table.group.count == 13


def test_repair_days_are_unknown_for_a_car_without_history_or_with_an_unrecorded_start(manager, north):
    no_history = sell(north, "Ford", "Fiesta", purchase="1000", price="2000", days=10)
    no_history.phase_changes.all().delete()
    half = sell(north, "Ford", "Fiesta", purchase="1000", price="2000", days=10, spells=[3])
    half.phase_changes.filter(to_phase=Phase.FIXING).delete()
    sell(north, "Ford", "Fiesta", purchase="1000", price="2000", days=10, spells=[2.5])

    row = benchmark_rows(user=manager, start=START, end=END).rows[0]

    assert fig(row.repair_days) == (D("2.5"), D("2.5"), D("2.5"), 1)
    assert row.days_to_sell.n == 3


def test_a_move_out_of_fixing_recorded_at_the_same_instant_as_the_move_in_is_a_spell_of_no_days(manager, north):
    # An imported history: the move out was stored first (a lower id), the move in at the same instant.
    car = sell(north, "Ford", "Fiesta", purchase="1000", price="2000", days=10)
    at = timezone.make_aware(datetime(2025, 3, 1, 9, 0))
    PhaseChange.objects.create(car=car, from_phase=Phase.FIXING, to_phase=Phase.READY, changed_at=at)
    PhaseChange.objects.create(car=car, from_phase=Phase.PURCHASED, to_phase=Phase.FIXING, changed_at=at)

    row = benchmark_rows(user=manager, start=START, end=END).rows[0]

    assert fig(row.repair_days) == (D("0.0"), D("0.0"), D("0.0"), 1)


def _by_hand(cars) -> dict:
    """The figures of a set of cars, computed here one sale at a time with Decimals,
    timedeltas and pandas' quantiles, independently of the module."""
    import pandas as pd

    measures = {name: [] for name in ("days_to_sell", "repair_cost", "repair_days", "gross_profit", "roi")}
    profits, costs = [], []
    for car in cars:
        sale = car.sale
        repairs = sum((item.parts_cost + item.labour_cost for item in car.repair_items.all()), D("0"))
        cost = car.purchase_price + car.auction_fees + car.transport_cost + repairs
        profit = sale.price - cost
        profits.append(profit)
        costs.append(cost)
        measures["gross_profit"].append(float(profit * 100))
        measures["repair_cost"].append(float(repairs * 100))
        measures["roi"].append(int(profit * 100) / int(cost * 100) if cost else None)
        known = car.purchased_on and car.purchased_on <= sale.sold_on
        measures["days_to_sell"].append(float((sale.sold_on - car.purchased_on).days) if known else None)
        history = sorted(car.phase_changes.all(), key=lambda c: (c.changed_at, c.to_phase != Phase.FIXING, c.pk))
        spent, entered = timedelta(), None
        for change in history:
            if change.to_phase == Phase.FIXING:
                entered = change.changed_at
            elif change.from_phase == Phase.FIXING and change.to_phase == Phase.READY:
                spent = None if spent is None or entered is None else spent + (change.changed_at - entered)
        measures["repair_days"].append(None if not history or spent is None else spent.total_seconds() / 86400)
    places = {
        "days_to_sell": "0.1",
        "repair_days": "0.1",
        "roi": "0.0001",
        "repair_cost": "0.01",
        "gross_profit": "0.01",
    }
    figures = {}
    for name, values in measures.items():
        series = pd.Series([v for v in values if v is not None], dtype=float)
        quartiles = series.quantile([0.25, 0.5, 0.75]).tolist() if len(series) else [None] * 3
        scale = 100 if name in ("repair_cost", "gross_profit") else 1
        p25, median, p75 = (
            None if q is None else (D(repr(float(q))) / scale).quantize(D(places[name]), rounding="ROUND_HALF_UP")
            for q in quartiles
        )
        figures[name] = (median, p25, p75, len(series))
    return {**figures, "count": len(cars), "total_profit": sum(profits), "total_cost": sum(costs)}


def test_every_figure_matches_one_computed_sale_by_sale(manager, north):
    """Forty sales with pennies, sums SQLite keeps as floats (0.10 + 0.20), spells timed
    to the microsecond, cars without history and without a purchase date."""
    import random

    rng = random.Random(7)
    cars = []
    for i in range(40):
        spells = [rng.choice([0.5, 1.05, 2.333333, 3]) for _ in range(rng.choice([0, 1, 1, 2]))]
        car = sell(
            north,
            ["Ford", "Kia"][i % 2],
            ["Focus", "Ceed"][i % 2],
            purchase=f"{rng.randrange(1000, 9000)}.{rng.randrange(100):02d}",
            fees=rng.choice(["0", "125.50", "310.05"]),
            transport=rng.choice(["0", "99.99"]),
            repairs=rng.choice([[], ["0.10", "0.20"], ["150.35", "89.99", "0.01"]]),
            spells=spells,
            price=f"{rng.randrange(2000, 12000)}.{rng.randrange(100):02d}",
            days=rng.choice([None, 3, 17, 45, 80, -2]),
        )
        if i % 9 == 0:
            car.phase_changes.all().delete()  # bought before the system recorded phases
        cars.append(car)

    table = benchmark_rows(user=manager, start=START, end=END)

    for row in table.rows:
        expected = _by_hand([car for car in cars if car.make == row.make])
        assert {
            name: fig(getattr(row, name))
            for name in ("days_to_sell", "repair_cost", "repair_days", "gross_profit", "roi")
        } == {name: expected[name] for name in ("days_to_sell", "repair_cost", "repair_days", "gross_profit", "roi")}
        assert (row.count, row.total_profit, row.total_cost) == (
            expected["count"],
            expected["total_profit"],
            expected["total_cost"],
        )
    assert fig(table.group.repair_days) == _by_hand(cars)["repair_days"]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("-count", ["Ford Focus", "Volkswagen Golf", "Kia Ceed"]),
        ("count", ["Kia Ceed", "Volkswagen Golf", "Ford Focus"]),
        ("-gross_profit", ["Kia Ceed", "Ford Focus", "Volkswagen Golf"]),
        ("days_to_sell", ["Kia Ceed", "Ford Focus", "Volkswagen Golf"]),
        ("make", ["Ford Focus", "Kia Ceed", "Volkswagen Golf"]),
        ("-make", ["Volkswagen Golf", "Kia Ceed", "Ford Focus"]),
        ("grade", ["Ford Focus", "Volkswagen Golf", "Kia Ceed"]),  # A, D, then the ungraded
        ("-grade", ["Volkswagen Golf", "Ford Focus", "Kia Ceed"]),
    ],
)
def test_rows_sort_either_way_with_rows_lacking_the_figure_last(manager, sales, sort, expected):
    table = benchmark_rows(user=manager, start=START, end=END, sort=sort)
    assert [row.label for row in table.rows] == expected


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"end": date(2024, 12, 31)}, "end"),
        ({"group_by": ("make",)}, "group_by"),
        ({"sort": "price"}, "sort"),
    ],
)
def test_it_refuses_bad_parameters(manager, changes, field):
    with pytest.raises(ValidationError) as refused:
        benchmark_rows(user=manager, **{"start": START, "end": END, **changes})
    assert field in refused.value.message_dict


# --- Scoping ------------------------------------------------------------------------------------------


def test_another_locations_sales_are_never_counted(manager, outsider, admin_user, north, south, sales):
    assert benchmark_rows(user=manager, start=START, end=END).group.count == 13
    theirs = benchmark_rows(user=outsider, start=START, end=END)
    assert theirs.group.count == 1 and theirs.location_ids == (south.pk,)
    everyone = benchmark_rows(user=admin_user, start=START, end=END)
    assert everyone.group.count == 14
    only_south = benchmark_rows(user=admin_user, start=START, end=END, location_ids=[south.pk])
    assert only_south.group.count == 1 and only_south.rows[0].gross_profit.median == D("89000.00")


def test_a_location_filter_outside_the_users_locations_is_refused(manager, south, sales):
    with pytest.raises(ValidationError) as refused:
        benchmark_rows(user=manager, start=START, end=END, location_ids=[south.pk])
    assert "locations" in refused.value.message_dict
    with pytest.raises(ValidationError):
        benchmark_rows(user=manager, start=START, end=END, location_ids=[south.pk + 1000])


def test_it_runs_the_same_few_queries_for_2_or_12_sales(manager, north):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            benchmark_rows(user=manager, start=START, end=END)
        return len(captured)

    for _ in range(2):
        sell(north, "Ford", "Focus", purchase="1000", price="2000", days=10, repairs=["50"], spells=[1])
    few = queries()
    for i in range(10):
        sell(
            north,
            "Kia" if i % 2 else "Seat",
            f"Model {i}",
            purchase="1000",
            price="2000",
            days=10,
            repairs=["50", "60"],
            spells=[1, 2],
        )
    assert (
        queries() == few == 8
    )  # the locations, 4 version reads, the sales, their repair totals, their spells in fixing
    assert queries() == 5  # asked again: the locations and the version reads, then the cache


def test_sorting_another_way_reads_the_cached_table(manager, north):
    for make in ("Ford", "Kia"):
        sell(north, make, "Model", purchase="1000", price="2000", days=10)
    assert [row.make for row in benchmark_rows(user=manager, start=START, end=END, sort="make").rows] == ["Ford", "Kia"]
    with CaptureQueriesContext(connection) as captured:
        table = benchmark_rows(user=manager, start=START, end=END, sort="-make")
    assert [row.make for row in table.rows] == ["Kia", "Ford"] and table.sort == "-make"
    assert len(captured) == 5  # the locations and the version reads: the figures come from the cache


def test_a_new_sale_changes_the_cached_benchmarks(manager, north):
    sell(north, "Ford", "Focus", purchase="1000", price="2000", days=10, repairs=[], spells=[])
    assert benchmark_rows(user=manager, start=START, end=END).rows[0].count == 1
    sell(north, "Ford", "Focus", purchase="1000", price="2500", days=10, repairs=[], spells=[])
    assert benchmark_rows(user=manager, start=START, end=END).rows[0].count == 2


# --- The page -----------------------------------------------------------------------------------------


def page_url(**params) -> str:
    from urllib.parse import urlencode

    return reverse("analytics_benchmarks") + ("?" + urlencode(params, doseq=True) if params else "")


def test_the_page_shows_the_benchmarks_with_their_sample_sizes_and_chart(client, manager, sales):
    client.force_login(manager)
    response = client.get(page_url(**PERIOD))
    body = response.content.decode()
    assert response.status_code == 200
    rows = body.split('data-testid="benchmark-table"')[1].split("</table>")[0]
    focus = rows.split("Ford Focus")[1].split("</tr>")[0]
    assert "£1,250" in focus and "£700–£1,875" in focus and "n=6" in focus and "n=5" in focus
    assert ">A<" in focus and "profit better, days better" in focus
    assert "too few sales" in rows.split("Kia Ceed")[1].split("</tr>")[0]
    assert 'data-testid="profit-chart"' in body and 'data-testid="group-line"' in body and "Group £700" in body
    assert 'data-testid="grading-rule"' in body
    assert 'class="table-scroll"' in body


def test_the_page_defaults_to_the_last_twelve_months(client, manager, north):
    sell(north, "Ford", "Focus", purchase="1000", price="2000", days=10, sold_on=timezone.localdate())
    client.force_login(manager)
    response = client.get(page_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert f'value="{default_period()["start"].isoformat()}"' in body and "1 sale, 1 make and model row" in body


def test_the_page_splits_by_body_type_on_request(client, manager, sales):
    client.force_login(manager)
    body = client.get(page_url(**PERIOD, by_body="on")).content.decode()
    assert '<th scope="col">Body</th>' in body and ">Estate<" in body and ">Hatchback<" in body


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(page_url())
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_profit_benchmarks_are_for_those_who_see_prices_not_the_workshop(client, workshop_user, sales_user, north):
    client.force_login(sales_user)
    assert client.get(page_url()).status_code == 200
    client.force_login(workshop_user)
    assert client.get(page_url()).status_code == 403


def test_the_page_refuses_another_locations_filter_beside_the_field(client, outsider, north, sales):
    client.force_login(outsider)
    response = client.get(page_url(**PERIOD, locations=[north.pk]))
    body = response.content.decode()
    assert response.status_code == 400 and 'id="id_locations-error"' in body
    assert 'data-testid="benchmark-table"' not in body


def test_the_page_refuses_a_period_that_ends_before_it_starts(client, manager):
    client.force_login(manager)
    response = client.get(page_url(start="2025-06-01", end="2025-05-01"))
    assert response.status_code == 400 and "must not be before the start" in response.content.decode()


def test_the_page_answers_only_get(client, manager):
    client.force_login(manager)
    assert client.post(page_url()).status_code == 405


def test_htmx_gets_the_form_and_results_sorted_as_asked(client, manager, sales):
    client.force_login(manager)
    response = client.get(
        page_url(**PERIOD, sort="-gross_profit"), headers={"HX-Request": "true", "HX-Target": "benchmarks"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'data-testid="benchmark-table"' in body
    rows = body.split('data-testid="benchmark-table"')[1]
    assert rows.index("Kia Ceed") < rows.index("Ford Focus") < rows.index("Volkswagen Golf")
    # The current sort's header links the other way round; every link also works without htmx.
    profit_link = body.split('data-sort="gross_profit"')[0].rsplit("<a ", 1)[1]
    assert "sort=gross_profit" in profit_link and 'hx-get="' in profit_link and 'href="?' in profit_link
    assert 'aria-sort="descending"' in body


def test_htmx_errors_come_back_with_200_to_be_swapped_in(client, manager):
    client.force_login(manager)
    response = client.get(
        page_url(start="2025-06-01", end="2025-05-01"), headers={"HX-Request": "true", "HX-Target": "benchmarks"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'id="id_end-error"' in body


# --- The API ------------------------------------------------------------------------------------------


API = "api_analytics_benchmarks"


def test_the_api_gives_every_figure_with_its_sample_size_and_grade(manager, sales, api_for):
    response = api_for(manager).get(reverse(API), {**PERIOD, "sort": "make"})
    assert response.status_code == 200
    data = response.json()
    assert (data["start"], data["end"], data["group_by"], data["min_sample"]) == (
        "2025-01-01",
        "2025-12-31",
        ["make", "model"],
        5,
    )
    assert [f"{row['make']} {row['model']}" for row in data["rows"]] == ["Ford Focus", "Kia Ceed", "Volkswagen Golf"]
    focus = data["rows"][0]
    assert focus["count"] == 6
    assert focus["gross_profit"] == {"median": "1250.00", "p25": "700.00", "p75": "1875.00", "n": 6}
    assert focus["days_to_sell"] == {"median": "30.0", "p25": "20.0", "p75": "40.0", "n": 5}
    assert focus["repair_days"]["n"] == 6 and focus["roi"]["median"] == "0.2750"
    assert focus["pooled_roi"] == {"value": "0.2741", "n": 6}
    assert (focus["grade"], focus["profit_vs_group"], focus["days_vs_group"]) == ("A", "better", "better")
    assert (data["rows"][1]["grade"], data["rows"][1]["grade_display"]) == (None, "too few sales")
    assert data["group"]["gross_profit"] == {"median": "700.00", "p25": "500.00", "p75": "2000.00", "n": 13}
    assert data["group"]["pooled_roi"] == {"value": "0.2726", "n": 13}


def test_the_api_takes_locations_repeated_or_by_commas_and_splits_by_body(admin_user, north, south, sales, api_for):
    client = api_for(admin_user)
    repeated = client.get(reverse(API), {**PERIOD, "locations": [north.pk, south.pk]}).json()
    commas = client.get(reverse(API), {**PERIOD, "locations": f"{north.pk},{south.pk}", "by_body": "true"}).json()
    assert repeated["group"]["count"] == commas["group"]["count"] == 14
    assert commas["group_by"] == ["make", "model", "body_type"] and {row["body_type"] for row in commas["rows"]} == {
        "hatchback",
        "estate",
    }


def test_the_api_wants_a_signed_in_user_with_the_permission(north, api_for, anon):
    assert anon.get(reverse(API)).status_code == 401
    nobody = UserFactory(role=roles.WORKSHOP, locations=[north])
    nobody.groups.clear()
    assert api_for(nobody).get(reverse(API)).status_code == 403


@pytest.mark.parametrize(
    "params, field",
    [
        ({"sort": "price"}, "sort"),
        ({"start": "2025-06-01", "end": "2025-05-01"}, "end"),
        ({"start": "yesterday"}, "start"),
        ({"locations": "one"}, "locations"),
        ({"start": "2015-01-01", "end": "2025-01-01"}, "start"),
    ],
)
def test_the_api_refuses_bad_parameters_by_field(manager, params, field, api_for):
    response = api_for(manager).get(reverse(API), params)
    assert response.status_code == 400 and field in response.json(), response.json()


def test_the_api_refuses_a_location_the_user_may_not_see(outsider, north, sales, api_for):
    response = api_for(outsider).get(reverse(API), {**PERIOD, "locations": north.pk})
    assert response.status_code == 400 and "locations" in response.json()


def test_the_api_answers_only_get(manager, api_for):
    assert api_for(manager).post(reverse(API), {}).status_code == 405


def test_the_api_schema_is_valid_and_has_no_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=benchmark_api_urls.urlpatterns).get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, GENERATOR_STATS._warn_cache
    assert "/analytics/benchmarks/" in schema["paths"]
