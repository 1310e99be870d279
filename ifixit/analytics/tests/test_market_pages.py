"""Market pages: a segment's trend and seasonality from the rollups, and a car's and a
lot's place against comparable sales."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ifixit.analytics import synthetic, warehouse
from ifixit.analytics.models import SaleFact
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
    SaleFact.objects.bulk_create([
        SaleFact(kind="auction", source="BCA", source_ref=f"c{i}", make="Ford", model="Focus", year=2019, mileage=40000 + i * 1000,
                 price=Decimal(9000 + i * 500), sale_date=today - timedelta(days=10 + i))
        for i in range(5)
    ] + [SaleFact(kind="auction", source="BCA", source_ref="far", make="Ford", model="Focus", year=2010, mileage=150000,
                  price=Decimal(2000), sale_date=today - timedelta(days=3))])
    car = CarFactory(location=north, phase=Phase.LISTED, make="ford", model="focus", year=2019, mileage=42000, asking_price=Decimal("10000"))
    client.force_login(manager)
    body = client.get(reverse("analytics_compare_car", args=[car.pk])).content.decode()
    assert 'data-testid="price-to-market">100% of market<' in body  # the median of 9,000-11,000 is 10,000
    assert "50th percentile of 5 comparable sales" in body and "150000" not in body


def test_a_lot_is_compared_and_another_location_s_car_is_not_found(client, manager, outsider, north, db):
    source = AuctionSource.objects.create(name="BCA", url="https://bca.example")
    lot = Lot.objects.create(source=source, external_id="X1", make="Kia", model="Ceed", current_bid=5000)
    client.force_login(manager)
    assert 'data-testid="no-comparables"' in client.get(reverse("analytics_compare_lot", args=[lot.pk])).content.decode()
    car = CarFactory(location=north)
    client.force_login(outsider)
    assert client.get(reverse("analytics_compare_car", args=[car.pk])).status_code == 404


def test_workshop_staff_and_strangers_are_kept_out(client, workshop_user):
    assert client.get(reverse("analytics_market")).status_code == 302
    client.force_login(workshop_user)
    assert client.get(reverse("analytics_market")).status_code == 403
