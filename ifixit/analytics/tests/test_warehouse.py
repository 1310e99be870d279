"""The warehouse: own sales and sold lots become facts once, rollups fold new facts in
chunk by chunk and resume after a stop, and a segment's trend is read from them."""

from datetime import date, datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest
from django.utils import timezone

from ifixit.analytics import selectors, stats, warehouse
from ifixit.analytics.models import Checkpoint, Rollup, SaleFact
from ifixit.auctions.models import AuctionSource, Lot
from ifixit.inventory.models import Phase, Sale
from ifixit.testing.factories import CarFactory

D = Decimal


def fact(ref: str, *, price: int, on: date | None, make="Ford", model="Focus", source="BCA", **extra) -> SaleFact:
    return SaleFact(kind="auction", source=source, source_ref=ref, make=make, model=model, price=D(price), sale_date=on, **extra)


def test_own_sales_and_sold_lots_become_facts_once(north, db):
    car = CarFactory(location=north, phase=Phase.SOLD, make="vw", model="golf", purchased_on=date(2026, 1, 10))
    Sale.objects.create(car=car, sold_on=date(2026, 2, 9), price=D("11000"), location=north)
    source = AuctionSource.objects.create(name="BCA", url="https://bca.example")
    closed = datetime(2026, 3, 1, 12, tzinfo=dt_timezone.utc)
    Lot.objects.create(source=source, external_id="L1", make="Volkswagen", model="Golf", year=2019, mileage=48280,
                       mileage_unit="km", current_bid=9000, stage="closed", outcome="sold", closed_at=closed, condition="Good")
    Lot.objects.create(source=source, external_id="L2", make="Ford", model="Focus", current_bid=5000, stage="closed",
                       outcome="unsold", closed_at=closed)
    result = warehouse.facts_sync()
    assert (result.sales, result.lots) == (1, 1)
    own = SaleFact.objects.get(kind="own")
    assert (own.make, own.model, own.days_to_sell, own.region, own.source_ref) == ("Volkswagen", "Golf", 30, "North Yard", f"sale:{car.sale.pk}")
    lot = SaleFact.objects.get(kind="auction")
    assert (lot.mileage, lot.condition, lot.sale_date) == (30000, "good", date(2026, 3, 1))
    assert warehouse.facts_sync() == warehouse.SyncResult(0, 0)  # resumes after its checkpoints
    assert SaleFact.objects.count() == 2


def test_rollups_fold_new_facts_in_and_resume_where_they_stopped(db):
    SaleFact.objects.bulk_create(
        [fact(f"a{i}", price=10000 + i * 100, on=date(2026, 1, 5 + i)) for i in range(6)] + [fact("m", price=9000, on=date(2026, 3, 3))]
    )
    assert warehouse.rollups_refresh(max_passes=1, months_per_pass=1) == 1  # stopped after January
    checkpoint = Checkpoint.objects.get(name="rollups")
    assert checkpoint.last_id == 0 and checkpoint.state["months"] == ["2026-03-01"]
    assert Rollup.objects.filter(level="segment", grain="month").count() == 1
    assert Rollup.objects.get(level="market", grain="month").count == 6  # the ready-made slices too
    assert warehouse.rollups_refresh(months_per_pass=1) == 1  # resumes with March
    assert Checkpoint.objects.get(name="rollups").last_id == SaleFact.objects.order_by("-pk")[0].pk
    assert Rollup.objects.get(level="segment", grain="month", period_start=date(2026, 3, 1)).count == 1
    month = Rollup.objects.get(level="segment", grain="month", period_start=date(2026, 1, 1))
    assert month.count == 6 and month.price_sum == D("61500") and sum(warehouse.unpack(month.histogram)) == 6
    assert Rollup.objects.filter(level="make+model", grain="day").count() == 7  # days at the ready-made levels only
    weeks = {r.period_start: r.count for r in Rollup.objects.filter(level="segment", grain="week")}
    assert weeks == {date(2026, 1, 5): 6, date(2026, 3, 2): 1}  # Monday 5 January to Sunday 11 January
    assert warehouse.rollups_refresh() == 0


def test_a_week_across_two_months_counts_both_months_facts(db):
    SaleFact.objects.bulk_create([fact("x", price=8000, on=date(2026, 1, 30)), fact("y", price=9000, on=date(2026, 2, 2))])
    warehouse.rollups_refresh()
    SaleFact.objects.bulk_create([fact("z", price=9500, on=date(2026, 2, 1))])  # a Sunday: same week as the 30th
    warehouse.rollups_refresh()
    week = Rollup.objects.get(level="segment", grain="week", period_start=date(2026, 1, 26))
    assert week.count == 2  # Friday the 30th and Sunday the 1st; Monday the 2nd starts the next week
    assert Rollup.objects.get(level="segment", grain="week", period_start=date(2026, 2, 2)).count == 1


def test_a_fact_without_a_date_is_kept_but_left_out_of_trends(db):
    SaleFact.objects.bulk_create([fact("dated", price=7000, on=date(2026, 4, 2)), fact("undated", price=7100, on=None)])
    warehouse.rollups_refresh()
    assert SaleFact.objects.count() == 2 and Rollup.objects.get(level="segment", grain="month").count == 1


def test_a_segment_trend_has_volume_median_spread_outliers_and_the_year_before(db):
    prices_2025 = [9000, 9500, 10000, 10500, 11000]
    prices_2026 = [9900, 10450, 11000, 11550, 12100, 60000]  # the last is a keying error
    SaleFact.objects.bulk_create(
        [fact(f"p{i}", price=p, on=date(2025, 3, 10)) for i, p in enumerate(prices_2025)]
        + [fact(f"q{i}", price=p, on=date(2026, 3, 10)) for i, p in enumerate(prices_2026)]
        + [fact("other", price=30000, on=date(2026, 3, 11), make="BMW", model="X1")]
    )
    warehouse.rollups_refresh()
    result = selectors.trend(segment=selectors.Segment(make="Ford", model="Focus"), start=date(2026, 1, 1))
    [march] = result.points
    assert march.volume == 6 and march.excluded_outliers == 1
    assert march.median == stats.median(stats.histogram(prices_2026[:5]))  # the outlier does not move it
    assert abs(march.median - D("11000")) / D("11000") < D("0.085")
    assert march.median_year_ago is not None and march.yoy_change_pct is not None and march.yoy_change_pct > 0


def test_a_trend_is_cached_until_the_rollups_change(db, django_assert_num_queries):
    SaleFact.objects.bulk_create([fact("a", price=10000, on=date(2026, 5, 1))])
    warehouse.rollups_refresh()
    segment = selectors.Segment(make="Ford")
    first = selectors.trend(segment=segment)
    with django_assert_num_queries(1):  # the warehouse version only
        assert selectors.trend(segment=segment) == first
    SaleFact.objects.bulk_create([fact("b", price=12000, on=date(2026, 5, 2))])
    warehouse.rollups_refresh()
    assert selectors.trend(segment=segment).volume == 2
