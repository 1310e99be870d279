"""The warehouse: own sales and sold lots become facts once, rollups fold new facts in
chunk by chunk and resume after a stop, and a segment's trend is read from them."""

import threading
from datetime import date, datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from ifixit.analytics.models import Checkpoint, Rollup, SaleFact
from ifixit.analytics.warehouse import selectors
from ifixit.analytics.warehouse import services as warehouse
from ifixit.analytics.warehouse import stats
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
    assert list(SaleFact.objects.filter(rolled_up=False).values_list("source_ref", flat=True)) == ["m"]
    assert Rollup.objects.filter(level="segment", grain="month").count() == 1
    assert Rollup.objects.get(level="market", grain="month").count == 6  # the ready-made slices too
    assert warehouse.rollups_refresh(months_per_pass=1) == 1  # resumes with March
    assert not SaleFact.objects.filter(rolled_up=False).exists()
    assert Rollup.objects.get(level="segment", grain="month", period_start=date(2026, 3, 1)).count == 1
    month = Rollup.objects.get(level="segment", grain="month", period_start=date(2026, 1, 1))
    assert month.count == 6 and month.price_sum == D("61500") and sum(warehouse.unpack(month.histogram)) == 6
    assert Rollup.objects.filter(level="make+model", grain="day").count() == 7  # days at the ready-made levels only
    weeks = {r.period_start: r.count for r in Rollup.objects.filter(level="segment", grain="week")}
    assert weeks == {date(2026, 1, 5): 6, date(2026, 3, 2): 1}  # Monday 5 January to Sunday 11 January
    assert warehouse.rollups_refresh() == 0


def _market_month(month: date) -> int:
    return Rollup.objects.get(level="market", grain="month", period_start=month).count


def test_a_fact_committed_after_a_higher_id_was_rolled_up_is_still_counted(db):
    # On PostgreSQL an import's transaction takes its ids and may commit after a later one
    # was rolled up. Here: the id is taken (the row made and removed, as if uncommitted),
    # a higher id rolls up, then the row arrives under its earlier id.
    early, later = SaleFact.objects.bulk_create([fact("early", price=8000, on=date(2026, 2, 3)), fact("later", price=9000, on=date(2026, 2, 4))])
    SaleFact.objects.filter(pk=early.pk).delete()
    warehouse.rollups_refresh()
    assert _market_month(date(2026, 2, 1)) == 1
    SaleFact.objects.bulk_create([fact("early", price=8000, on=date(2026, 2, 3), pk=early.pk)])
    assert early.pk < later.pk
    assert warehouse.rollups_refresh() == 1
    assert _market_month(date(2026, 2, 1)) == 2


def test_a_sale_committed_after_a_higher_id_was_synced_still_becomes_a_fact(north, db):
    cars = [CarFactory(location=north, phase=Phase.SOLD, purchased_on=date(2026, 1, 2)) for _ in range(2)]
    early = Sale.objects.create(car=cars[0], sold_on=date(2026, 2, 1), price=D("9000"), location=north)
    Sale.objects.create(car=cars[1], sold_on=date(2026, 2, 2), price=D("9500"), location=north)
    early_pk = early.pk
    early.delete()  # its id taken, its row not yet committed
    assert warehouse.facts_sync().sales == 1
    Sale.objects.create(pk=early_pk, car=cars[0], sold_on=date(2026, 2, 1), price=D("9000"), location=north)
    assert warehouse.facts_sync().sales == 1
    assert set(SaleFact.objects.filter(kind="own").values_list("price", flat=True)) == {D("9000"), D("9500")}
    assert warehouse.facts_sync().sales == 0


def test_a_lot_committed_late_or_resynced_with_an_old_closing_time_still_becomes_a_fact(db):
    source = AuctionSource.objects.create(name="BCA", url="https://bca.example")
    now = timezone.now()

    def sold_lot(ref: str, *, closed_at, updated_at) -> Lot:
        return Lot.objects.create(source=source, external_id=ref, make="Ford", model="Focus", current_bid=6000, stage="closed",
                                  outcome="sold", closed_at=closed_at, updated_at=updated_at)

    sold_lot("first", closed_at=now - timedelta(minutes=1), updated_at=now)
    assert warehouse.facts_sync().lots == 1
    # Stamped by its feed a second before the first, committed after the sync read.
    sold_lot("stamped-earlier", closed_at=now - timedelta(minutes=2), updated_at=now - timedelta(seconds=1))
    # A lot closed two days ago, missed while the feed was down, and taken in at its resync.
    sold_lot("resynced", closed_at=now - timedelta(days=2), updated_at=now + timedelta(seconds=5))
    assert warehouse.facts_sync().lots == 2
    assert set(SaleFact.objects.values_list("source_ref", flat=True)) == {"lot:first", "lot:stamped-earlier", "lot:resynced"}
    assert warehouse.facts_sync().lots == 0  # the overlap is read again, and nothing counted twice
    assert Checkpoint.objects.get(name="facts:lots").last_at == now + timedelta(seconds=5)


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_sales_and_facts_committed_out_of_order_are_all_taken_in(north):
    """The real race: a transaction holding lower ids commits after a later one was synced
    and rolled up. SQLite runs one writer at a time, so it cannot happen there."""
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL lets a transaction commit ids below one already committed")
    cars = [CarFactory(location=north, phase=Phase.SOLD, purchased_on=date(2026, 1, 2)) for _ in range(2)]
    opened, release = threading.Event(), threading.Event()
    held = {}

    def slow_transaction():
        try:
            with transaction.atomic():
                held["sale"] = Sale.objects.create(car=cars[0], sold_on=date(2026, 2, 1), price=D("9000"), location=north).pk
                held["fact"] = SaleFact.objects.create(kind="auction", source="BCA", source_ref="slow", make="Ford",
                                                       model="Focus", price=D("7000"), sale_date=date(2026, 2, 5)).pk
                opened.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    try:
        assert opened.wait(timeout=30)
        quick_sale = Sale.objects.create(car=cars[1], sold_on=date(2026, 2, 2), price=D("9500"), location=north)
        quick_fact = SaleFact.objects.create(kind="auction", source="BCA", source_ref="quick", make="Ford", model="Focus",
                                             price=D("7100"), sale_date=date(2026, 2, 6))
        assert quick_sale.pk > held["sale"] and quick_fact.pk > held["fact"]
        warehouse.facts_sync()
        warehouse.rollups_refresh()
        assert _market_month(date(2026, 2, 1)) == 2  # the quick sale and the quick fact
    finally:
        release.set()
        thread.join(timeout=30)
    warehouse.facts_sync()
    warehouse.rollups_refresh()
    assert SaleFact.objects.filter(kind="own").count() == 2
    assert _market_month(date(2026, 2, 1)) == 4


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


def test_a_warehouse_reset_is_not_answered_from_the_old_one_s_cache(db):
    SaleFact.objects.bulk_create([fact("a", price=10000, on=date(2026, 5, 1))])
    warehouse.rollups_refresh()
    assert selectors.trend(segment=selectors.Segment(make="Ford")).volume == 1
    # Emptied (a restored backup, the demo reset): its refreshes are counted from the start again.
    for model in (SaleFact, Rollup, Checkpoint):
        model.objects.all().delete()
    SaleFact.objects.bulk_create([fact("b", price=12000, on=date(2026, 5, 2)), fact("c", price=12500, on=date(2026, 5, 3))])
    warehouse.rollups_refresh()
    assert selectors.trend(segment=selectors.Segment(make="Ford")).volume == 2
