"""The pure matcher: each criterion alone (match and no match), price thresholds crossed up
and down, margin and ROI as inputs, and the feed's threshold check. No database."""

import random

import numpy as np
import pytest

from ifixit.auctions.alerts import (
    Candidate, LotChange, LotFacts, PreferenceIndex, PreferenceSpec, crosses, decide, make_key, model_key, region_key, worth_matching,
)
from ifixit.auctions.models import LotAlert

MATCH, ABOVE, BELOW = LotAlert.Reason.MATCH, LotAlert.Reason.PRICE_ABOVE, LotAlert.Reason.PRICE_BELOW


def lot(**overrides) -> LotFacts:
    fields = dict(lot_id=1, make="ford", model="focus", year=2018, mileage=40_000, price=4_000, source_id=1, region="north west")
    return LotFacts(**{**fields, **overrides})


def spec(**overrides) -> PreferenceSpec:
    return PreferenceSpec(**{"id": 1, "user_id": 1, **overrides})


def reasons(specs, facts, old_price=None) -> list[tuple[int, str]]:
    index = PreferenceIndex(specs)
    return [(index.specs[c.position].id, c.reason) for c in decide(index, facts, old_price=old_price)]


def matches(one_spec, facts) -> bool:
    return reasons([one_spec], facts) == [(one_spec.id, MATCH)]


def test_an_empty_preference_matches_any_appearing_lot():
    assert matches(spec(), lot())
    assert matches(spec(), lot(make="?", year=None, mileage=None, price=None, region=""))


@pytest.mark.parametrize(
    "criterion, yes, no",
    [
        ({"makes": frozenset({"ford"})}, {}, {"make": "kia"}),
        ({"pairs": frozenset({("ford", "focus")})}, {}, {"model": "fiesta"}),
        ({"year_min": 2018}, {"year": 2018}, {"year": 2017}),
        ({"year_max": 2018}, {"year": 2018}, {"year": 2019}),
        ({"year_min": 2015, "year_max": 2019}, {"year": 2015}, {"year": None}),
        ({"mileage_max": 40_000}, {"mileage": 40_000}, {"mileage": 40_001}),
        ({"mileage_max": 40_000}, {"mileage": 0}, {"mileage": None}),
        ({"price_max": 4_000}, {"price": 4_000}, {"price": 4_001}),
        ({"price_max": 4_000}, {"price": 0}, {"price": None}),  # None: priced in another currency
        ({"min_margin": 1_000.0}, {"margin": 1_000.0}, {"margin": 999.99}),
        ({"min_margin": 1_000.0}, {"margin": 5_000.0}, {"margin": None}),  # no advice, no match
        ({"min_roi": 15.0}, {"roi": 15.0}, {"roi": 14.9}),
        ({"min_roi": 15.0}, {"roi": 40.0}, {"roi": None}),
        ({"sources": frozenset({1, 3})}, {"source_id": 3}, {"source_id": 2}),
        ({"regions": frozenset({"north west"})}, {}, {"region": "scotland"}),
        ({"regions": frozenset({"north west"})}, {}, {"region": ""}),
    ],
)
def test_each_criterion_alone_matches_or_not(criterion, yes, no):
    assert matches(spec(**criterion), lot(**yes))
    assert not matches(spec(**criterion), lot(**no))
    assert matches(spec(), lot(**no))  # the lot is refused by that criterion alone


def test_a_make_with_models_is_wanted_in_those_models_only_and_other_makes_in_any():
    wanted = spec(makes=frozenset({"ford", "kia"}), pairs=frozenset({("ford", "focus")}))
    assert matches(wanted, lot(make="ford", model="focus"))
    assert not matches(wanted, lot(make="ford", model="fiesta"))
    assert matches(wanted, lot(make="kia", model="ceed"))
    assert not matches(wanted, lot(make="audi", model="a3"))
    only_models = spec(pairs=frozenset({("ford", "focus"), ("kia", "ceed")}))
    assert matches(only_models, lot(make="kia", model="ceed")) and not matches(only_models, lot(make="kia", model="rio"))


def test_spellings_are_one():
    assert make_key("VW") == make_key("volkswagen") == make_key("Volkswagen")
    assert model_key("golf gti") == model_key("Golf GTI")
    assert region_key("  North   West ") == region_key("north west")


def test_closed_lots_alert_nobody():
    assert reasons([spec()], lot(open=False)) == []
    assert reasons([spec(price_max=5_000)], lot(open=False, price=5_100), old_price=4_900) == []


# --- thresholds ------------------------------------------------------------------------------


def test_a_lot_appearing_over_the_maximum_is_no_match():
    assert reasons([spec(price_max=5_000)], lot(price=5_050)) == []


def test_a_bid_crossing_up_over_the_maximum():
    pref = spec(price_max=5_000)
    assert reasons([pref], lot(price=5_050), old_price=4_950) == [(1, ABOVE)]
    assert reasons([pref], lot(price=5_050), old_price=5_000) == [(1, ABOVE)]  # at the maximum is within it
    assert reasons([pref], lot(price=5_000), old_price=4_950) == []  # reaching it is not passing it
    assert reasons([pref], lot(price=5_200), old_price=5_050) == []  # over, and over still
    assert reasons([pref], lot(price=4_900), old_price=4_800) == []  # under, and under still: no second match


def test_a_price_crossing_down_under_the_maximum():
    pref = spec(price_max=5_000)
    assert reasons([pref], lot(price=4_900), old_price=5_100) == [(1, BELOW)]
    assert reasons([pref], lot(price=5_000), old_price=5_001) == [(1, BELOW)]
    assert reasons([pref], lot(price=5_001), old_price=5_100) == []
    # Back within the maximum, but the margin wanted is not there: nothing.
    assert reasons([spec(price_max=5_000, min_margin=800.0)], lot(price=4_900, margin=500.0), old_price=5_100) == []
    assert reasons([spec(price_max=5_000, min_margin=800.0)], lot(price=4_900, margin=900.0), old_price=5_100) == [(1, BELOW)]


def test_crossings_need_the_rest_of_the_preference_to_match():
    assert reasons([spec(price_max=5_000, makes=frozenset({"kia"}))], lot(price=5_100), old_price=4_900) == []


def test_preferences_without_a_maximum_see_no_crossing_and_other_currencies_none():
    assert reasons([spec()], lot(price=99_000), old_price=10) == []
    assert reasons([spec(price_max=5_000)], lot(price=None), old_price=4_900) == []


def test_several_preferences_and_users_at_once():
    specs = [
        spec(id=1, user_id=1, price_max=5_000),
        spec(id=2, user_id=2, price_max=6_000),
        spec(id=3, user_id=2, makes=frozenset({"kia"})),
        spec(id=4, user_id=3),
    ]
    assert sorted(reasons(specs, lot(price=5_500), old_price=4_500)) == [(1, ABOVE)]
    assert sorted(reasons(specs, lot(price=4_500))) == [(1, MATCH), (2, MATCH), (4, MATCH)]


def test_crosses_checks_every_threshold_between_two_prices_either_way():
    thresholds = [1_000, 5_000, 9_000]
    assert crosses(thresholds, 4_999, 5_001) and crosses(thresholds, 5_000, 5_001) and crosses(thresholds, 5_001, 5_000)
    assert not crosses(thresholds, 4_999, 5_000)  # reaching the maximum is not passing it
    assert not crosses(thresholds, 5_001, 8_999) and not crosses(thresholds, 5_000, 5_000) and not crosses([], 1, 99_999)
    assert crosses(thresholds, 12_000, 500) and not crosses(thresholds, None, 5_500)


def test_the_feed_queues_matching_only_for_appearing_lots_and_bids_across_a_maximum():
    appeared, across, within, over, down = (
        LotChange(1, None, 9_000), LotChange(2, 4_900, 5_100), LotChange(3, 4_000, 4_500), LotChange(4, 6_000, 7_000), LotChange(5, 5_200, 4_800),
    )
    changes = [appeared, across, within, over, down]
    assert worth_matching(changes, [5_000]) == [appeared, across, down]
    assert worth_matching(changes, []) == [appeared]  # no preference has a maximum: bids never need matching


def test_the_index_agrees_with_a_plain_loop_on_random_preferences_and_lots():
    """The vectorised index against the rules written out one preference at a time."""
    rng = random.Random(11)
    makes, models = ["ford", "kia", "audi"], ["focus", "ceed", "a3", "fiesta"]

    def random_spec(i):
        pick = lambda values: frozenset(rng.sample(values, rng.randint(0, 2)))  # noqa: E731
        return spec(
            id=i, user_id=i % 7, makes=pick(makes), pairs=frozenset((rng.choice(makes), rng.choice(models)) for _ in range(rng.randint(0, 1))),
            year_min=rng.choice([None, 2014, 2018]), year_max=rng.choice([None, 2016, 2020]), mileage_max=rng.choice([None, 30_000, 80_000]),
            price_max=rng.choice([None, 3_000, 6_000]), min_margin=rng.choice([None, 500.0]), min_roi=rng.choice([None, 10.0]),
            sources=pick([1, 2, 3]), regions=pick(["north", "south"]),
        )

    def by_hand(s, f):
        any_model = s.makes - {m for m, _ in s.pairs}
        car = (not s.makes and not s.pairs) or f.make in any_model or (f.make, f.model) in s.pairs
        year = (s.year_min is None and s.year_max is None) or (f.year is not None and (s.year_min or 0) <= f.year <= (s.year_max or 9999))
        mileage = s.mileage_max is None or (f.mileage is not None and f.mileage <= s.mileage_max)
        price = s.price_max is None or (f.price is not None and f.price <= s.price_max)
        margin = s.min_margin is None or (f.margin is not None and f.margin >= s.min_margin)
        roi = s.min_roi is None or (f.roi is not None and f.roi >= s.min_roi)
        place = (not s.sources or f.source_id in s.sources) and (not s.regions or f.region in s.regions)
        return car and year and mileage and price and margin and roi and place

    specs = [random_spec(i) for i in range(400)]
    index = PreferenceIndex(specs)
    matched = 0
    for n in range(300):
        facts = lot(
            lot_id=n, make=rng.choice(makes), model=rng.choice(models), year=rng.choice([None, 2013, 2015, 2019]),
            mileage=rng.choice([None, 20_000, 60_000, 90_000]), price=rng.choice([None, 2_000, 5_000, 7_000]),
            source_id=rng.choice([1, 2, 3]), region=rng.choice(["north", "south", ""]),
            margin=rng.choice([None, 100.0, 900.0]), roi=rng.choice([None, 5.0, 25.0]),
        )
        got = sorted(index.specs[c.position].id for c in decide(index, facts, old_price=None))
        want = [s.id for s in specs if by_hand(s, facts)]
        assert got == want, facts
        matched += len(want)
    assert matched > 100  # the random data exercises matches, not only refusals


def test_an_empty_index_matches_nothing():
    index = PreferenceIndex([])
    assert decide(index, lot(), old_price=None) == [] and index.thresholds == []
    assert isinstance(PreferenceIndex([spec()]).static_mask(lot()), np.ndarray)
    assert decide(PreferenceIndex([spec()]), lot(), old_price=None) == [Candidate(0, MATCH)]
