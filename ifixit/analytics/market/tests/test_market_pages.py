"""Market pages: a segment's trend and seasonality from the rollups, and a car's and a
lot's place against comparable sales."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ifixit.analytics import seasonality, synthetic
from ifixit.analytics.models import SaleFact
from ifixit.analytics.seasonality import NotEnoughHistory, SeasonalProfile
from ifixit.analytics.warehouse import selectors
from ifixit.analytics.warehouse import services as warehouse
from ifixit.auctions.models import AuctionSource, Lot
from ifixit.inventory.models import Phase
from ifixit.testing.factories import CarFactory


@pytest.fixture
def market(db):
    """Three years of synthetic market history (deterministic) folded into rollups."""
    SaleFact.objects.bulk_create(list(synthetic.facts(count=3000, seed=5, end=timezone.localdate())), batch_size=2000)
    warehouse.rollups_refresh()


def test_the_market_page_shows_a_segment_trend_and_its_seasonality(client, manager, market):
    client.force_login(manager)
    body = client.get(reverse("analytics_market") + "?make=Ford&years=3").content.decode()
    assert 'data-testid="trend"' in body and "Ford" in body and 'data-testid="latest-median"' in body
    assert "Best month to buy" in body or "Market:" in body
    whole = client.get(reverse("analytics_market")).content.decode()
    assert "Best month to buy" in whole and 'class="trend-chart"' in whole


def test_a_segment_without_history_says_so(client, manager, market):
    client.force_login(manager)
    body = client.get(reverse("analytics_market") + "?make=Ford&model=Nonesuch").content.decode()
    assert "Not enough dated sales" in body and 'data-testid="market-not-enough"' in body


def test_a_car_is_compared_with_comparable_sales(client, manager, north, db):
    today = timezone.localdate()
    SaleFact.objects.bulk_create(
        [
            SaleFact(
                kind="auction",
                source="BCA",
                source_ref=f"c{i}",
                make="Ford",
                model="Focus",
                year=2019,
                mileage=40000 + i * 1000,
                price=Decimal(9000 + i * 500),
                sale_date=today - timedelta(days=10 + i),
            )
            for i in range(5)
        ]
        + [
            SaleFact(
                kind="auction",
                source="BCA",
                source_ref="far",
                make="Ford",
                model="Focus",
                year=2010,
                mileage=150000,
                price=Decimal(2000),
                sale_date=today - timedelta(days=3),
            )
        ]
    )
    car = CarFactory(
        location=north,
        phase=Phase.LISTED,
        make="ford",
        model="focus",
        year=2019,
        mileage=42000,
        asking_price=Decimal(10000),
    )
    client.force_login(manager)
    body = client.get(reverse("analytics_compare_car", args=[car.pk])).content.decode()
    assert 'data-testid="price-to-market">100% of market<' in body  # the median of 9,000-11,000 is 10,000
    assert "50th percentile of 5 comparable sales" in body and "150000" not in body


def test_a_lot_is_compared_and_another_location_s_car_is_not_found(client, manager, outsider, north, db):
    source = AuctionSource.objects.create(name="BCA", url="https://bca.example")
    lot = Lot.objects.create(source=source, external_id="X1", make="Kia", model="Ceed", current_bid=5000)
    client.force_login(manager)
    assert (
        'data-testid="no-comparables"' in client.get(reverse("analytics_compare_lot", args=[lot.pk])).content.decode()
    )
    car = CarFactory(location=north)
    client.force_login(outsider)
    assert client.get(reverse("analytics_compare_car", args=[car.pk])).status_code == 404


def test_workshop_staff_and_strangers_are_kept_out(client, workshop_user):
    assert client.get(reverse("analytics_market")).status_code == 302
    client.force_login(workshop_user)
    assert client.get(reverse("analytics_market")).status_code == 403


# --- API ---------------------------------------------------------------------------------------


def test_the_trend_and_seasonality_api(api, market):
    trend = api.get(reverse("api_analytics_trend"), {"make": "Ford", "start": "2024-01-01"}).json()
    assert trend["volume"] == sum(p["volume"] for p in trend["points"]) and trend["points"][0]["median"]
    seasons = api.get(reverse("api_analytics_seasonality")).json()
    assert seasons["market_price"]["enough_history"] and len(seasons["market_price"]["months"]) == 12
    assert 1 <= seasons["best_month_to_buy"] <= 12
    bad = api.get(reverse("api_analytics_trend"), {"start": "2026-06-01", "end": "2026-01-01"})
    assert bad.status_code == 400 and "end" in bad.json()


def test_the_comparison_api_and_who_may_call_it(api, client, workshop_user, north, outsider, db, anon, api_for):
    car = CarFactory(location=north, phase=Phase.LISTED, asking_price=Decimal(8000))
    assert api.get(reverse("api_analytics_compare_car", args=[car.pk])).json()["sources"] == []
    assert anon.get(reverse("api_analytics_trend")).status_code == 401
    other = api_for(outsider)
    assert other.get(reverse("api_analytics_compare_car", args=[car.pk])).status_code == 404
    workshop = api_for(workshop_user)
    assert workshop.get(reverse("api_analytics_trend")).status_code == 403


def test_a_thin_segment_claims_no_seasonal_pattern(client, manager, market):
    client.force_login(manager)
    body = client.get(reverse("analytics_market") + "?make=Ford&model=Focus").content.decode()
    assert "Too few sales a month for a seasonal pattern" in body and "Best month to buy" not in body


def own_sales_with_days(per_month: int, *, months: int = 36, slow_month: int = 7) -> list[SaleFact]:
    """`per_month` own sales in each of the last `months` months, taking 30 days to sell,
    and 45 in `slow_month` (a planted seasonal pattern)."""
    today = timezone.localdate()
    facts = []
    for back in range(months):
        year, month_index = divmod(today.year * 12 + today.month - 1 - back, 12)
        month = date(year, month_index + 1, 10)
        for i in range(per_month):
            facts.append(
                SaleFact(
                    kind="own",
                    source=warehouse.OWN_SOURCE,
                    source_ref=f"sale:{back}-{i}",
                    make="Ford",
                    model="Focus",
                    price=Decimal(9000),
                    sale_date=month,
                    days_to_sell=45 if month.month == slow_month else 30,
                )
            )
    return facts


def test_days_to_sell_seasonality_needs_as_many_sales_a_month_as_prices(client, manager, market):
    SaleFact.objects.bulk_create(own_sales_with_days(3))  # three own sales a month, with days to sell
    warehouse.rollups_refresh()

    result = selectors.seasonality_of(segment=selectors.Segment())

    assert isinstance(result.market, SeasonalProfile)  # the market's prices have enough
    assert isinstance(result.market_days, NotEnoughHistory)
    assert "Too few sales with a known time to sell a month" in result.market_days.reason
    assert "typically 3; needs 20" in result.market_days.reason
    assert result.best_month_to_sell == seasonality.best_month_to_sell(result.market)  # prices alone decide
    client.force_login(manager)
    body = client.get(reverse("analytics_market")).content.decode()
    assert "Days to sell: Too few sales with a known time to sell a month" in body and "Days to sell (ours)" not in body
    assert "Days to sell come from our own sales alone" in body


def test_days_to_sell_seasonality_from_enough_own_sales_finds_the_slow_month(client, manager, db):
    SaleFact.objects.bulk_create(own_sales_with_days(20, slow_month=7))
    warehouse.rollups_refresh()

    days = selectors.seasonality_of(segment=selectors.Segment(make="Ford")).market_days

    assert isinstance(days, SeasonalProfile) and days.observations == 20 * 36
    assert max(days.months, key=lambda m: m.index_pct).month == 7
    client.force_login(manager)
    assert "Days to sell (ours)" in client.get(reverse("analytics_market") + "?make=Ford").content.decode()


# --- Found in review ----------------------------------------------------------------------------


def test_an_undone_sale_leaves_the_warehouse_and_its_month(manager, north, db):
    from ifixit.inventory import services as inventory
    from ifixit.inventory.models import Payment
    from ifixit.testing.factories import CustomerFactory

    buyer = CustomerFactory(locations=[north])
    car = CarFactory(location=north, phase=Phase.RESERVED, purchased_on=timezone.localdate() - timedelta(days=30))
    inventory.sale_record(
        user=manager,
        car_id=car.pk,
        sold_on=timezone.localdate(),
        price=Decimal(9000),
        customer_id=buyer.pk,
        payment=Payment.FINANCE,
    )
    warehouse.facts_sync()
    warehouse.rollups_refresh()
    from ifixit.analytics.models import Rollup

    month = Rollup.objects.get(level="market", grain="month", period_start=timezone.localdate().replace(day=1))
    assert month.count == 1
    with transaction.atomic():
        inventory.sale_unwind(user=manager, car_id=car.pk, to_phase=Phase.LISTED, note="Finance declined")
    assert not SaleFact.objects.filter(kind="own").exists()
    warehouse.rollups_refresh()
    assert not Rollup.objects.filter(level="market", grain="month").exists()


def test_the_group_s_own_source_name_cannot_be_imported(db):
    from ifixit.analytics.warehouse import mappings as importer

    with pytest.raises(importer.MappingError, match="own sales"):
        importer.mapping_parse(
            {"make": "Make", "model": "Model", "price": "Price", "kind": "auction", "source": "i-fixit"},
            ["Make", "Model", "Price"],
            currency="GBP",
        )


def test_daily_figures_only_for_the_ready_made_cuts(api, market):
    assert api.get(reverse("api_analytics_trend"), {"grain": "day", "make": "Ford"}).status_code == 200
    refused = api.get(reverse("api_analytics_trend"), {"grain": "day", "make": "Ford", "body_type": "suv"})
    assert refused.status_code == 400 and "by week or month" in refused.json()["grain"][0]


def test_own_sales_of_other_locations_are_not_comparables_and_the_workshop_may_not_compare(
    client, manager, workshop_user, north, db
):
    today = timezone.localdate()
    SaleFact.objects.bulk_create(
        [
            SaleFact(
                kind="own",
                source="I-fixit",
                source_ref="sale:900",
                make="Ford",
                model="Focus",
                year=2019,
                mileage=40000,
                price=Decimal(9999),
                sale_date=today - timedelta(days=5),
                region="South Yard",
            ),
            SaleFact(
                kind="own",
                source="I-fixit",
                source_ref="sale:901",
                make="Ford",
                model="Focus",
                year=2019,
                mileage=40000,
                price=Decimal(8888),
                sale_date=today - timedelta(days=5),
                region="North Yard",
            ),
        ]
    )
    car = CarFactory(
        location=north,
        phase=Phase.LISTED,
        make="Ford",
        model="Focus",
        year=2019,
        mileage=40000,
        asking_price=Decimal(9000),
    )
    client.force_login(manager)
    body = client.get(reverse("analytics_compare_car", args=[car.pk])).content.decode()
    assert "£8,888" in body and "£9,999" not in body and "South Yard" not in body
    client.force_login(workshop_user)
    assert client.get(reverse("analytics_compare_car", args=[car.pk])).status_code == 403


def test_a_bid_in_another_currency_is_not_set_against_ours(client, manager, db):
    source = AuctionSource.objects.create(name="Autorola", url="https://autorola.example")
    lot = Lot.objects.create(
        source=source, external_id="E1", make="Kia", model="Ceed", current_bid=20000, currency="EUR"
    )
    client.force_login(manager)
    assert "(in EUR, not compared)" in client.get(reverse("analytics_compare_lot", args=[lot.pk])).content.decode()
