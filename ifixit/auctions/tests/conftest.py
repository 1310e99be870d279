"""What the bidding-preference tests share: fresh caches, two buyers of different locations, a
source and a lot on it."""

import pytest
from django.core.cache import cache

from ifixit.auctions import alerts, selectors
from ifixit.auctions.models import AuctionSource, Lot
from ifixit.testing.factories import UserFactory


@pytest.fixture
def fresh_caches():
    alerts.index._bump_version()
    cache.delete(selectors.VOCABULARY_KEY)


@pytest.fixture
def buyer(north):
    return UserFactory(username="bea", role="buyer", locations=[north])


@pytest.fixture
def other_buyer(south):
    return UserFactory(username="bob", role="buyer", locations=[south])


@pytest.fixture
def source(db):
    return AuctionSource.objects.create(name="Simulated", url="http://127.0.0.1:1")


@pytest.fixture
def lot(source):
    return Lot.objects.create(
        source=source,
        external_id="L1",
        make="Ford",
        model="Focus",
        year=2018,
        mileage=40_000,
        region="North West",
        current_bid=4_000,
    )
