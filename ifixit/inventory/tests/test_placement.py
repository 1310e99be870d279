"""Placement advice: ranking the group's locations for selling a car, and its partial."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.http import Http404
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ifixit.inventory.models import Car, Phase, Sale, Transfer
from ifixit.inventory.placement import DEFAULT_TRANSPORT_COST, Basis, TransportSource, placement_advice
from ifixit.testing.factories import CarFactory, LocationFactory

AGE = 5  # the car under advice is 5 years old: the 4-7 band


def sold(
    location,
    *,
    days=30,
    profit=1000,
    age=AGE,
    sold_on=None,
    make="Ford",
    model="Focus",
    body_type=Car.Body.HATCHBACK,
    dated=True,
):
    """One car of the history: sold at `location` `days` after purchase for `profit`."""
    sold_on = sold_on or timezone.localdate() - timedelta(days=10)
    car = CarFactory(
        location=location,
        make=make,
        model=model,
        body_type=body_type,
        year=sold_on.year - age,
        phase=Phase.SOLD,
        purchased_on=sold_on - timedelta(days=days) if dated else None,
    )
    cost = Decimal("5000.00")
    return Sale.objects.create(car=car, sold_on=sold_on, price=cost + profit, cost_at_sale=cost, location=location)


def moved(from_location, to_location, cost, status=Transfer.Status.RECEIVED):
    car = CarFactory(location=to_location)
    return Transfer.objects.create(
        car=car,
        from_location=from_location,
        to_location=to_location,
        status=status,
        reason="Better market",
        planned_on=timezone.localdate(),
        transport_cost=Decimal(cost),
    )


@pytest.fixture(autouse=True)
def _no_cached_placement(redis_server):
    """These tests write the history straight into the tables, past the services that renew the
    cached placement (ifixit/tests/test_cache_invalidation.py proves that): start from none."""
    cache.clear()


@pytest.fixture
def car(north):
    """A five-year-old Ford Focus hatchback in stock at North."""
    return CarFactory(location=north, year=timezone.localdate().year - AGE, phase=Phase.LISTED)


@pytest.fixture
def history(north, south):
    """South sells Focuses faster and dearer than North.

    North: days 30, 40, 50, 60, 70 -> median 50; profit 800..1200 -> median 1000.
    South: days 10, 12, 14, 16, 18, 50 -> median 15 (mean 20); profit 1500, 1600,
    1700, 1800, 1900, 5000 -> median 1750 (mean 2250). Mixed case: still a Focus.
    """
    for days, profit in zip([30, 40, 50, 60, 70], [800, 900, 1000, 1100, 1200]):
        make, model = {30: ("FORD", "Focus"), 40: ("Ford", "focus")}.get(days, ("Ford", "Focus"))
        sold(north, days=days, profit=profit, make=make, model=model)
    for days, profit in zip([10, 12, 14, 16, 18, 50], [1500, 1600, 1700, 1800, 1900, 5000]):
        sold(south, days=days, profit=profit)


def row_for(advice, location):
    return next(row for row in advice.ranked + advice.thin if row.location == location)


class TestRanking:
    def test_it_ranks_the_location_that_sells_faster_and_dearer_first(self, manager, car, north, south, history):
        advice = placement_advice(user=manager, car=car)

        assert [row.location for row in advice.ranked] == [south, north]
        best, here = advice.ranked
        assert advice.recommendation == best and best.is_best and not here.is_best
        assert (best.basis, best.sample_size) == (Basis.MAKE_MODEL, 6)
        assert (best.median_days, best.median_gross_profit) == (15, Decimal("1750.00"))
        assert (here.basis, here.sample_size) == (Basis.MAKE_MODEL, 5)
        assert (here.median_days, here.median_gross_profit) == (50, Decimal("1000.00"))
        assert (best.transport_cost, best.transport_source) == (DEFAULT_TRANSPORT_COST, TransportSource.ESTIMATED)
        assert (here.transport_cost, here.transport_source, here.is_current) == (0, TransportSource.HERE, True)
        assert best.net_profit == Decimal("1600.00") and here.net_profit == Decimal("1000.00")
        assert not advice.stay_here and advice.gain_over_current == Decimal("600.00")
        assert advice.reason == ""

    def test_it_keeps_the_car_where_it_is_when_transport_eats_the_difference(self, manager, car, north, south, history):
        advice = placement_advice(user=manager, car=car, transport_costs={south.pk: Decimal(800)})

        assert [row.location for row in advice.ranked] == [north, south]
        assert advice.ranked[1].net_profit == Decimal("950.00")  # 1750 - 800
        assert advice.recommendation.location == north and advice.stay_here
        assert advice.gain_over_current == Decimal("0.00")

    def test_on_equal_net_the_quicker_sale_wins(self, manager, car, north, south):
        for days, profit in zip([30, 40, 50, 60, 70], [1000] * 5):
            sold(north, days=days, profit=profit)
        for days in [10, 20, 30, 40, 50]:
            sold(south, days=days, profit=1150)  # 1150 - £150 estimated transport = 1000, as North

        advice = placement_advice(user=manager, car=car)

        assert [row.net_profit for row in advice.ranked] == [Decimal("1000.00")] * 2
        assert [row.location for row in advice.ranked] == [south, north]

    def test_it_shows_every_active_location_even_those_the_user_cannot_see(self, manager, car, south, history):
        assert not manager.locations.filter(pk=south.pk).exists()
        assert south in [row.location for row in placement_advice(user=manager, car=car).ranked]

    def test_an_admin_gets_the_same_advice(self, admin_user, car, south, history):
        assert placement_advice(user=admin_user, car=car).recommendation.location == south


class TestTransportCost:
    def test_it_takes_the_median_of_received_transfers_between_the_two_sites_either_way(
        self, manager, car, north, south, history
    ):
        east = LocationFactory(name="East Yard", code="EST")
        moved(north, south, "100.00")
        moved(south, north, "300.00")
        moved(north, south, "210.00")
        moved(north, south, "9999.00", status=Transfer.Status.CANCELLED)
        moved(south, east, "9999.00")

        best = placement_advice(user=manager, car=car).recommendation

        assert (best.location, best.transport_source) == (south, TransportSource.HISTORY)
        assert best.transport_cost == Decimal("210.00")
        assert best.net_profit == Decimal("1540.00")

    def test_a_given_quote_wins_over_history(self, manager, car, north, south, history):
        moved(north, south, "100.00")

        best = placement_advice(user=manager, car=car, transport_costs={south.pk: Decimal(400)}).recommendation

        assert (best.transport_cost, best.transport_source) == (Decimal("400.00"), TransportSource.GIVEN)
        assert best.net_profit == Decimal("1350.00")


class TestSample:
    def test_it_falls_back_to_body_type_where_make_and_model_are_thin(self, manager, car, north, south):
        for days, profit in zip([30, 40, 50, 60, 70], [800, 900, 1000, 1100, 1200]):
            sold(north, days=days, profit=profit)
        sold(south, days=10, profit=3000)
        sold(south, days=20, profit=3000)
        for days, profit in zip([5, 7, 9, 11], [100, 200, 300, 400]):
            sold(south, days=days, profit=profit, make="Vauxhall", model="Astra")
        sold(south, days=1, profit=9000, model="Focus", body_type=Car.Body.ESTATE)  # a Focus, but not a hatchback

        advice = placement_advice(user=manager, car=car)
        south_row, north_row = row_for(advice, south), row_for(advice, north)

        # South: 3 Focuses (too few), so its 6 hatchbacks: days 5,7,9,10,11,20 -> 9.5; profit 100..400,3000,3000 -> 350.
        assert (south_row.basis, south_row.basis_label, south_row.sample_size) == (Basis.BODY_TYPE, "Hatchback", 6)
        assert (south_row.median_days, south_row.median_gross_profit) == (9.5, Decimal("350.00"))
        assert (north_row.basis, north_row.basis_label, north_row.sample_size) == (Basis.MAKE_MODEL, "Ford Focus", 5)
        assert advice.recommendation == north_row

    def test_thin_history_gives_no_recommendation_and_says_why(self, manager, car, north, south):
        for _ in range(5):
            sold(north)
        for _ in range(3):
            sold(south)

        advice = placement_advice(user=manager, car=car)

        assert advice.recommendation is None and not advice.stay_here
        assert [row.location for row in advice.ranked] == [north] and not advice.ranked[0].is_best
        thin = row_for(advice, south)
        assert (thin.sample_size, thin.has_enough_history) == (3, False)
        assert thin.median_gross_profit is None and thin.net_profit is None
        assert advice.reason == (
            "Only North Yard has sold 5 or more similar cars (4–7 years old) in the last 24 months; "
            "advice needs at least two locations to compare."
        )

    def test_no_history_anywhere_says_so(self, manager, car, north, south):
        advice = placement_advice(user=manager, car=car)

        assert advice.recommendation is None and advice.ranked == []
        assert [(row.location, row.sample_size) for row in advice.thin] == [(north, 0), (south, 0)]
        assert advice.reason.startswith("No location has sold 5 or more similar cars")

    def test_it_leaves_out_inactive_locations_and_their_sales(self, manager, car, north, south, history):
        closed = LocationFactory(name="Closed Yard", code="CLS")
        for _ in range(5):
            sold(closed, days=1, profit=9000)
        closed.is_active = False
        closed.save()

        advice = placement_advice(user=manager, car=car)

        assert closed not in [row.location for row in advice.ranked + advice.thin]
        assert advice.recommendation.location == south

    @pytest.mark.parametrize(
        "today, first_day",
        [(date(2026, 3, 31), date(2024, 3, 31)), (date(2028, 2, 29), date(2026, 2, 28))],
        ids=["month-end", "leap-day"],
    )
    def test_it_counts_sales_from_exactly_24_months_back_and_no_older(self, manager, north, today, first_day):
        with time_machine.travel(datetime.combine(today, time(12), tzinfo=UTC), tick=False):
            car = CarFactory(location=north, year=today.year - AGE, phase=Phase.LISTED)
            for _ in range(4):
                sold(north)
            sold(north, sold_on=first_day)
            sold(north, sold_on=first_day - timedelta(days=1))

            advice = placement_advice(user=manager, car=car)

        assert advice.since == first_day
        assert row_for(advice, north).sample_size == 5

    def test_it_compares_only_cars_of_the_same_age_band(self, manager, car, north, south, history):
        east = LocationFactory(name="East Yard", code="EST")
        for _ in range(4):
            sold(east, age=7)
        sold(east, age=8)  # 8-12 band
        sold(east, age=3)  # 0-3 band

        assert row_for(placement_advice(user=manager, car=car), east).sample_size == 4

    def test_sales_without_a_purchase_date_count_for_profit_but_not_for_days(self, manager, car, north, south, history):
        east = LocationFactory(name="East Yard", code="EST")
        for days in [10, 20, 30, 40]:
            sold(east, days=days, profit=500)
        sold(east, profit=500, dated=False)

        row = row_for(placement_advice(user=manager, car=car), east)

        assert (row.sample_size, row.median_days) == (5, 25)


class TestAccess:
    def test_a_user_who_cannot_see_the_car_gets_404(self, outsider, car, history):
        with pytest.raises(Http404):
            placement_advice(user=outsider, car=car)

    def test_a_sold_car_gets_no_advice(self, manager, car, history):
        car.phase = Phase.SOLD
        car.save()

        advice = placement_advice(user=manager, car=car)

        assert advice.recommendation is None and advice.ranked == [] and "sold" in advice.reason


class TestQueries:
    def test_it_runs_a_fixed_number_of_queries_however_long_the_history(self, manager, car, north, south):
        def history_of(n):
            for i in range(n):
                sold(north if i % 2 else south, days=10 + i, profit=100 + i)
            moved(north, south, "120.00")

        def queries():
            cache.clear()  # the history was written past the services: a fresh answer
            with CaptureQueriesContext(connection) as ctx:
                advice = placement_advice(user=manager, car=car)
            return len(ctx.captured_queries), sum(row.sample_size for row in advice.ranked)

        history_of(10)
        small, small_sample = queries()
        history_of(90)
        large, large_sample = queries()

        assert (small_sample, large_sample) == (10, 100)
        assert small == large == 4  # visibility, locations, sales, transfers


class TestPartial:
    def render(self, advice):
        return render_to_string("inventory/_placement.html", {"placement": advice})

    def test_it_highlights_the_best_location_and_what_moving_gains(self, manager, car, south, history):
        html = self.render(placement_advice(user=manager, car=car))

        assert "Move to South Yard" in html and "£600" in html
        assert html.count('class="best" aria-current="true"') == 1 and "<strong>South Yard</strong>" in html
        assert "Stay here" not in html
        assert "est.</abbr>" in html  # South's transport is the default estimate
        assert Sale.objects.filter(location=south).first().car.vin not in html

    def test_it_says_stay_here_when_the_car_is_already_in_the_best_place(self, manager, car, south, history):
        html = self.render(placement_advice(user=manager, car=car, transport_costs={south.pk: Decimal(800)}))

        assert "Stay here" in html and "Move to" not in html

    def test_it_shows_thin_locations_and_the_reason_for_no_advice(self, manager, car, north, south):
        for _ in range(3):
            sold(south)

        html = self.render(placement_advice(user=manager, car=car))

        assert "Not enough history (3 sales)" in html and "Not enough history (0 sales)" in html
        assert 'data-testid="placement-reason">No location has sold 5 or more' in html
        assert "Stay here" not in html and 'class="best"' not in html

