"""What to bid for a lot, and what to do with a car in stock: plain arithmetic on the
value model's prediction and the group's own costs, so every figure can be checked by
hand (the lot page shows each line of the sum).

The most the group should pay at the hammer is what leaves the target margin after
every cost of turning the car into a sale:

    resale − repair − transport − holding − margin − fee(bid) ≥ bid
    fee(bid) = bid × fee% + fixed fee
    ⇒ max bid = (resale − repair − transport − holding − margin − fixed fee) / (1 + fee%)

rounded down to the bidding step. Holding is the daily cost of a car on the books (its
finance, insurance, space) times the days such a car takes to sell; the margin is a
share of the resale price.
"""

import math
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

BUY, CAUTION, PASS = "buy", "caution", "pass"
VERDICTS = {BUY: "Buy", CAUTION: "Caution", PASS: "Pass"}
HOLD, REPRICE, MOVE = "hold", "reprice", "move"

BID_STEP = 50
# Within this share of the maximum the lot is still worth having but leaves little room.
CLOSE_TO_MAX = Decimal("0.90")
# An interval wider than this share of the expected price: the model is unsure of the car.
WIDE_INTERVAL = 0.5
# Repair estimates from fewer similar cars than this are a guess, and the advice says so.
MIN_REPAIR_SAMPLE = 5
PENNY = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Costs:
    """What it costs the group to turn a bought car into a sale, besides the price."""

    repair: Decimal
    repair_sample: int  # how many similar cars the repair estimate rests on
    transport: Decimal
    holding_per_day: Decimal
    days_to_sell: int
    fee_percent: Decimal
    fee_fixed: Decimal
    margin_percent: Decimal  # the target margin, as a share of the resale price

    @property
    def holding(self) -> Decimal:
        return money(self.holding_per_day * self.days_to_sell)

    def fee(self, bid: Decimal) -> Decimal:
        return money(bid * self.fee_percent / 100 + self.fee_fixed)


@dataclass(frozen=True)
class BidAdvice:
    resale: Decimal  # expected sale price after repair
    resale_low: Decimal
    resale_high: Decimal
    costs: Costs
    margin: Decimal  # the target margin in money
    max_bid: int  # 0 when no price leaves the margin
    current_bid: int
    verdict: str
    reasons: list[str] = field(default_factory=list)
    # At the current bid: what the car would make, and its return on all the money put in.
    expected_margin: Decimal | None = None
    expected_roi: float | None = None

    @property
    def verdict_label(self) -> str:
        return VERDICTS[self.verdict]

    @property
    def fees_at_max(self) -> Decimal:
        return self.costs.fee(Decimal(self.max_bid))


def max_bid(*, resale: Decimal, costs: Costs) -> int:
    margin = money(resale * costs.margin_percent / 100)
    room = resale - costs.repair - costs.transport - costs.holding - margin - costs.fee_fixed
    if room <= 0:
        return 0
    bid = room / (1 + costs.fee_percent / 100)
    return int((bid / BID_STEP).to_integral_value(rounding=ROUND_FLOOR)) * BID_STEP


def outcome_at(*, bid: Decimal, resale: Decimal, costs: Costs) -> tuple[Decimal, float | None]:
    """Gross margin and ROI (percent) if the car is bought at `bid` and sells for `resale`."""
    spent = bid + costs.fee(bid) + costs.repair + costs.transport + costs.holding
    margin = money(resale - spent)
    roi = float(margin / spent * 100) if spent > 0 else None
    return margin, roi


def bid_advice(*, resale: float, low: float, high: float, current_bid: int, costs: Costs, currency: str = "£") -> BidAdvice:
    resale_d, low_d, high_d = money(resale), money(low), money(high)
    margin = money(resale_d * costs.margin_percent / 100)
    ceiling = max_bid(resale=resale_d, costs=costs)
    bid = Decimal(current_bid)
    expected_margin, expected_roi = outcome_at(bid=bid, resale=resale_d, costs=costs)
    low_margin, _ = outcome_at(bid=bid, resale=low_d, costs=costs)
    reasons: list[str] = []

    def shown(value: Decimal | int) -> str:
        return f"{currency}{Decimal(value):,.0f}"

    if ceiling <= 0:
        verdict = PASS
        reasons.append(
            f"Even at no price it would not make the {costs.margin_percent}% margin: expected resale {shown(resale_d)} "
            f"against {shown(costs.repair)} repairs, {shown(costs.transport)} transport, {shown(costs.holding)} holding "
            f"and {shown(costs.fee_fixed)} fixed fees."
        )
    elif current_bid > ceiling:
        verdict = PASS
        reasons.append(f"The bid of {shown(current_bid)} is already above the maximum of {shown(ceiling)}.")
    else:
        verdict = BUY
        reasons.append(f"Up to {shown(ceiling)} leaves the {costs.margin_percent}% margin ({shown(margin)}).")
        if bid >= CLOSE_TO_MAX * ceiling and current_bid > 0:
            verdict = CAUTION
            reasons.append(f"The bid of {shown(current_bid)} is within 10% of the maximum.")
        if low_margin < 0:
            verdict = CAUTION
            reasons.append(f"If it sells at the low end ({shown(low_d)}) it loses {shown(-low_margin)} at the current bid.")
    if resale_d > 0 and float((high_d - low_d) / resale_d) > WIDE_INTERVAL:
        if verdict == BUY:
            verdict = CAUTION
        reasons.append(f"The model is unsure of this car: 80% of such cars sell between {shown(low_d)} and {shown(high_d)}.")
    if costs.repair_sample < MIN_REPAIR_SAMPLE:
        if verdict == BUY:
            verdict = CAUTION
        reasons.append(
            f"The repair estimate rests on {costs.repair_sample} similar car{'s' if costs.repair_sample != 1 else ''}: inspect before bidding."
        )
    return BidAdvice(
        resale=resale_d, resale_low=low_d, resale_high=high_d, costs=costs, margin=margin, max_bid=ceiling,
        current_bid=current_bid, verdict=verdict, reasons=reasons, expected_margin=expected_margin,
        expected_roi=None if expected_roi is None or math.isnan(expected_roi) else round(expected_roi, 1),
    )


@dataclass(frozen=True)
class StockAdvice:
    action: str  # hold, reprice or move
    reason: str
    expected_gain: Decimal  # against holding the car where it is at its asking price
    suggested_price: Decimal | None = None
    move_to: str = ""


def stock_advice(
    *,
    asking: Decimal | None,
    resale: float,
    low: float,
    high: float,
    days_listed: int,
    days_to_sell: int,
    holding_per_day: Decimal,
    best_move: tuple[str, Decimal] | None = None,
    currency: str = "£",
) -> StockAdvice:
    """Hold, reprice or move a car in stock.

    - Move, when another location is expected to net more (after transport) than
      repricing here: `best_move` is (location name, expected gain) from the placement
      advice.
    - Reprice, when the asking price sits above the top of the model's interval (few
      such cars sell at that price) and the car has already waited longer than such
      cars take to sell: to the expected price. The gain counted is the holding cost of
      waiting as long again, which is what staying at an unsold price costs.
      Overpriced but not yet overdue: hold, and reprice if it is still here on the day a
      typical sale would have happened.
    - Reprice up, when the asking price is below the bottom of the interval: the gain is
      the difference.
    - Hold otherwise: the price is within what such cars sell for.
    """
    resale_d, high_d, low_d = money(resale), money(high), money(low)

    def shown(value: Decimal) -> str:
        return f"{currency}{value:,.0f}"

    overpriced = bool(asking and asking > high_d)
    overrun = max(0, days_listed - days_to_sell)
    reprice_gain = money(holding_per_day * overrun) if overpriced else Decimal("0")
    if best_move and best_move[1] > 0 and best_move[1] > reprice_gain:
        return StockAdvice(
            action=MOVE, move_to=best_move[0], expected_gain=money(best_move[1]),
            reason=f"{best_move[0]} is expected to net {shown(money(best_move[1]))} more after transport.",
        )
    if overpriced and overrun > 0:
        return StockAdvice(
            action=REPRICE, suggested_price=resale_d, expected_gain=reprice_gain,
            reason=(f"Asking {shown(asking)} is above what 90% of such cars sell for ({shown(high_d)}) and the car has "
                    f"waited {overrun} days longer than they take to sell; another {overrun} days at this price costs "
                    f"{shown(reprice_gain)} of holding. {shown(resale_d)} is expected."),
        )
    if overpriced:
        return StockAdvice(
            action=HOLD, suggested_price=resale_d, expected_gain=Decimal("0"),
            reason=(f"Asking {shown(asking)} is above what 90% of such cars sell for ({shown(high_d)}); if it is unsold "
                    f"after {days_to_sell} days, reprice to about {shown(resale_d)}."),
        )
    if asking and asking < low_d:
        return StockAdvice(
            action=REPRICE, suggested_price=resale_d, expected_gain=money(resale_d - asking),
            reason=f"Asking {shown(asking)} is below what 90% of such cars sell for ({shown(low_d)}): {shown(resale_d)} is expected.",
        )
    return StockAdvice(action=HOLD, expected_gain=Decimal("0"), reason="The asking price is within what such cars sell for.")
