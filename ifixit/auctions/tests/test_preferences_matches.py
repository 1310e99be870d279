"""The editor's "recent lots it would have matched" counts follow the same rules as the feed's
matcher (the one evaluates a preference over columns of lots, the other a lot over all
preferences), and look only at recent lots."""

import random
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from ifixit.auctions import alerts, selectors, services
from ifixit.auctions.models import AuctionSource, Lot
from ifixit.testing.factories import UserFactory


@pytest.fixture(autouse=True)
def fresh_caches():
    cache.delete(selectors.VOCABULARY_KEY)


def test_recent_counts_agree_with_the_feeds_matcher(north):
    rng = random.Random(5)
    buyer = UserFactory(username="bea", role="buyer", locations=[north])
    sources = [AuctionSource.objects.create(name=f"S{i}", url="http://127.0.0.1:1") for i in range(3)]
    cars = [("Ford", "Focus"), ("FORD", "fiesta"), ("VW", "golf gti"), ("Kia", "Ceed"), ("Audi", "A3")]
    regions = ["North West", "Scotland", ""]
    lots = []
    for i in range(150):
        make, model = rng.choice(cars)
        lots.append(
            Lot(
                source=rng.choice(sources),
                external_id=f"L{i}",
                make=make,
                model=model,
                year=rng.choice([None, 2012, 2016, 2020]),
                mileage=rng.choice([None, 30_000, 70_000, 120_000]),
                mileage_unit=rng.choice(["mi", "km"]),
                current_bid=rng.choice([0, 2_500, 5_000, 9_000]),
                currency=rng.choice(["GBP", "GBP", "EUR"]),
                region=rng.choice(regions),
                stage=rng.choice(["prebid", "live", "closed"]),
            )
        )
    Lot.objects.bulk_create(lots)
    prefs = []
    for i in range(40):
        picked = rng.sample(cars, rng.randint(0, 2))
        prefs.append(
            services.preference_save(
                user=buyer,
                data=services.PreferenceInput(
                    name=f"P{i}",
                    makes=[make for make, _ in picked[:1]],
                    models=[(make, model) for make, model in picked[1:]],
                    year_min=rng.choice([None, 2014]),
                    year_max=rng.choice([None, 2018]),
                    mileage_max=rng.choice([None, 50_000, 100_000]),
                    price_max=rng.choice([None, 3_000, 6_000]),
                    sources=[s.pk for s in rng.sample(sources, rng.randint(0, 2))],
                    regions=[r for r in rng.sample(regions[:2], rng.randint(0, 1))],
                    min_roi=rng.choice([None, None, None, 5]),
                ),
            )
        )
    prefs = list(selectors.preferences_of(buyer))
    counted = selectors.recent_matches(prefs)

    index = alerts.PreferenceIndex(alerts.specs_of(prefs))
    expected = {p.pk: 0 for p in prefs}
    for lot in Lot.objects.all():
        facts = alerts.lot_facts(lot)
        # Counted at the lot's current price, closed lots too (they were offered recently).
        facts = alerts.LotFacts(**{**{f: getattr(facts, f) for f in facts.__slots__}, "open": True})
        for candidate in alerts.decide(index, facts, old_price=None):
            expected[index.specs[candidate.position].id] += 1
    assert counted.counts == expected and counted.lots == 150
    assert sum(expected.values()) > 50  # the data makes matches, not only refusals


def test_only_recent_lots_are_counted(north):
    buyer = UserFactory(username="bea", role="buyer", locations=[north])
    source = AuctionSource.objects.create(name="S", url="http://127.0.0.1:1")
    now = timezone.now()
    Lot.objects.create(
        source=source, external_id="NEW", make="Ford", model="Focus", first_seen_at=now - timedelta(days=6)
    )
    Lot.objects.create(
        source=source, external_id="OLD", make="Ford", model="Focus", first_seen_at=now - timedelta(days=8)
    )
    Lot.objects.create(source=source, external_id="GHOST", make="?", model="?", first_seen_at=now)  # car not known yet
    pref = services.preference_save(user=buyer, data=services.PreferenceInput(name="Any"))
    counted = selectors.recent_matches([pref], now=now)
    assert counted.counts == {pref.pk: 1} and counted.lots == 1
    assert selectors.recent_matches([]).counts == {}
