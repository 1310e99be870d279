"""The bid and stock arithmetic of ml.advice, checked against sums done by hand."""

from decimal import Decimal

import pytest

from ifixit.analytics.ml import advice

COSTS = advice.Costs(
    repair=Decimal("800"), repair_sample=12, transport=Decimal("150"), holding_per_day=Decimal("12"), days_to_sell=40,
    fee_percent=Decimal("5"), fee_fixed=Decimal("150"), margin_percent=Decimal("12"),
)


def test_it_finds_the_most_that_still_leaves_the_margin():
    # 10,000 − 800 repairs − 150 transport − 480 holding (12 × 40) − 1,200 margin − 150 fixed fee
    # = 7,220 for the bid and its 5% fee: 7,220 / 1.05 = 6,876.19, down to the £50 step: 6,850.
    assert advice.max_bid(resale=Decimal("10000"), costs=COSTS) == 6850
    # At 6,850 the margin is kept (fee 492.50: 10,000 − 6,850 − 492.50 − 800 − 150 − 480 = 1,227.50);
    # one step more (6,900, fee 495) leaves 1,175, under the 1,200 wanted.
    assert advice.outcome_at(bid=Decimal("6850"), resale=Decimal("10000"), costs=COSTS)[0] == Decimal("1227.50")
    assert advice.outcome_at(bid=Decimal("6900"), resale=Decimal("10000"), costs=COSTS)[0] == Decimal("1175.00")


def test_it_says_buy_below_the_maximum_with_the_margin_and_roi_at_the_current_bid():
    result = advice.bid_advice(resale=10000, low=9000, high=11000, current_bid=5000, costs=COSTS)
    assert result.verdict == advice.BUY
    assert result.max_bid == 6850
    # 5,000 + fee 400 + 800 + 150 + 480 = 6,830 spent; 10,000 − 6,830 = 3,170; ROI 3,170 / 6,830 = 46.4%.
    assert result.expected_margin == Decimal("3170.00")
    assert result.expected_roi == 46.4
    assert result.reasons == ["Up to £6,850 leaves the 12% margin (£1,200)."]


def test_it_cautions_close_to_the_maximum_and_passes_above_it():
    close = advice.bid_advice(resale=10000, low=9000, high=11000, current_bid=6500, costs=COSTS)
    assert close.verdict == advice.CAUTION
    assert "within 10% of the maximum" in close.reasons[1]
    above = advice.bid_advice(resale=10000, low=9000, high=11000, current_bid=6900, costs=COSTS)
    assert above.verdict == advice.PASS
    assert above.reasons == ["The bid of £6,900 is already above the maximum of £6,850."]


def test_it_passes_when_no_price_leaves_the_margin():
    result = advice.bid_advice(resale=2500, low=2000, high=3000, current_bid=0, costs=COSTS)
    # 2,500 − 800 − 150 − 480 − 300 margin − 150 = 620 for the bid and its fee: still a maximum.
    assert result.max_bid == 550  # 620 / 1.05 = 590.48, down to 550
    # 1,700 − 800 − 150 − 480 − 204 margin − 150 = −84: no price works.
    nothing = advice.bid_advice(resale=1700, low=1500, high=1900, current_bid=0, costs=COSTS)
    assert nothing.max_bid == 0 and nothing.verdict == advice.PASS
    assert nothing.reasons[0].startswith("Even at no price it would not make the 12% margin")


@pytest.mark.parametrize(
    "low, high, sample, reason",
    [
        (4000, 11000, 12, "The model is unsure of this car"),  # 7,000 wide on 10,000: over half
        (9000, 11000, 2, "The repair estimate rests on 2 similar cars"),
        (5000, 11000, 12, "If it sells at the low end (£5,000) it loses"),
    ],
)
def test_it_cautions_when_the_figures_are_uncertain(low, high, sample, reason):
    costs = advice.Costs(**{**COSTS.__dict__, "repair_sample": sample})
    result = advice.bid_advice(resale=10000, low=low, high=high, current_bid=4000, costs=costs)
    assert result.verdict == advice.CAUTION
    assert any(r.startswith(reason) for r in result.reasons), result.reasons


def test_stock_advice_reprices_an_overpriced_car_that_overran_and_holds_one_that_has_not():
    overran = advice.stock_advice(asking=Decimal("12500"), resale=10000, low=9000, high=11000, days_listed=70,
                                  days_to_sell=40, holding_per_day=Decimal("12"))
    assert overran.action == advice.REPRICE
    assert overran.suggested_price == Decimal("10000.00")
    assert overran.expected_gain == Decimal("360.00")  # 30 days overrun × £12
    fresh = advice.stock_advice(asking=Decimal("12500"), resale=10000, low=9000, high=11000, days_listed=10,
                                days_to_sell=40, holding_per_day=Decimal("12"))
    assert fresh.action == advice.HOLD and fresh.suggested_price == Decimal("10000.00")
    fair = advice.stock_advice(asking=Decimal("10200"), resale=10000, low=9000, high=11000, days_listed=70,
                               days_to_sell=40, holding_per_day=Decimal("12"))
    assert fair.action == advice.HOLD and fair.suggested_price is None


def test_stock_advice_moves_when_another_location_nets_more_than_repricing():
    moved = advice.stock_advice(asking=Decimal("12500"), resale=10000, low=9000, high=11000, days_listed=70,
                                days_to_sell=40, holding_per_day=Decimal("12"), best_move=("Leeds", Decimal("500")))
    assert (moved.action, moved.move_to, moved.expected_gain) == (advice.MOVE, "Leeds", Decimal("500.00"))
    stays = advice.stock_advice(asking=Decimal("12500"), resale=10000, low=9000, high=11000, days_listed=70,
                                days_to_sell=40, holding_per_day=Decimal("12"), best_move=("Leeds", Decimal("300")))
    assert stays.action == advice.REPRICE  # 360 of holding saved beats a 300 move


def test_stock_advice_reprices_up_an_underpriced_car():
    cheap = advice.stock_advice(asking=Decimal("8000"), resale=10000, low=9000, high=11000, days_listed=5,
                                days_to_sell=40, holding_per_day=Decimal("12"))
    assert (cheap.action, cheap.expected_gain) == (advice.REPRICE, Decimal("2000.00"))
