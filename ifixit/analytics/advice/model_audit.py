"""How far to trust the value model and the bid advice, measured on the group's own cars.

- Self-audit: for every sold car whose value was predicted when it was bought (a
  Valuation), the prediction against the price it really sold for: error by make and
  model and by month of sale, the bias (does the model guess high or low?) and how often
  the price fell inside the predicted interval.
- Advice backtest: over the lots the group won and has since sold, what following the
  advice would have earned (buy only at or below the recommended maximum bid) against
  bidding up to the predicted value, counted in the profit those cars really made.

Both are scoped to the sales of the user's locations and run a fixed number of queries.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from ifixit.accounts.models import User
from ifixit.analytics.advice import selectors as advice
from ifixit.analytics.ml import advice as arithmetic
from ifixit.analytics.models import Valuation
from ifixit.locations.selectors import locations_visible_to


@dataclass(frozen=True)
class ErrorRow:
    label: str
    count: int
    mae: float
    mape: float  # 0.08 = 8%
    bias: float  # mean of (predicted − sold) / sold: above 0, the model guesses high
    coverage: float  # share sold inside [low, high]


@dataclass(frozen=True)
class SelfAudit:
    overall: ErrorRow | None
    by_model: list[ErrorRow]  # most sales first
    by_month: list[ErrorRow]  # oldest first
    versions: list[int]


def _row(label: str, predicted, low, high, sold) -> ErrorRow:
    predicted, low, high, sold = (np.asarray(v, dtype=float) for v in (predicted, low, high, sold))
    errors = predicted - sold
    return ErrorRow(
        label=label, count=len(sold), mae=float(np.abs(errors).mean()), mape=float((np.abs(errors) / sold).mean()),
        bias=float((errors / sold).mean()), coverage=float(((sold >= low) & (sold <= high)).mean()),
    )


def self_audit(*, user: User, since: date | None = None) -> SelfAudit:
    valuations = Valuation.objects.filter(car__sale__location__in=locations_visible_to(user))
    if since:
        valuations = valuations.filter(car__sale__sold_on__gte=since)
    rows = list(valuations.values_list(
        "car__make", "car__model", "predicted", "low", "high", "car__sale__price", "car__sale__sold_on", "model_version"
    ))
    if not rows:
        return SelfAudit(overall=None, by_model=[], by_month=[], versions=[])
    by_model, by_month = defaultdict(list), defaultdict(list)
    for make, model, predicted, low, high, sold, sold_on, _ in rows:
        by_model[f"{make} {model}"].append((predicted, low, high, sold))
        by_month[sold_on.replace(day=1)].append((predicted, low, high, sold))

    def summarise(label, group) -> ErrorRow:
        return _row(label, *zip(*group))

    return SelfAudit(
        overall=summarise("All cars", [(p, lo, hi, s) for _, _, p, lo, hi, s, _, _ in rows]),
        by_model=sorted((summarise(k, v) for k, v in by_model.items()), key=lambda r: (-r.count, r.label)),
        by_month=[summarise(f"{month:%b %Y}", by_month[month]) for month in sorted(by_month)],
        versions=sorted({row[-1] for row in rows}),
    )


@dataclass(frozen=True)
class Strategy:
    name: str
    bought: int
    profit: Decimal  # what the cars it would have bought really made
    losses: int  # of those, how many lost money

    @property
    def profit_per_car(self) -> Decimal | None:
        return (self.profit / self.bought).quantize(Decimal("1")) if self.bought else None


@dataclass(frozen=True)
class Backtest:
    lots: int  # won lots since sold, with a valuation from the day they were bought
    advice: Strategy
    up_to_value: Strategy
    as_bought: Strategy  # what the group did

    @property
    def strategies(self) -> list[Strategy]:
        return [self.advice, self.up_to_value, self.as_bought]


def advice_backtest(*, user: User) -> Backtest:
    """Each won-and-sold lot is replayed at its hammer price: the advice would have bought
    it if the hammer was at or below the maximum bid computed from the valuation made when
    it was bought; "up to the predicted value" if the hammer was at or below the predicted
    resale. Costs are today's estimates from the group's history; the profit counted is the
    one the car really made (sale price − everything it cost)."""
    from ifixit.auctions.models import Opportunity

    won = (
        Opportunity.objects.filter(decision=Opportunity.Decision.WON, car__sale__location__in=locations_visible_to(user),
                                   car__valuation__isnull=False)
        .select_related("lot__source", "car__sale", "car__valuation")
    )
    past = advice.history()
    picks = {"advice": [], "value": [], "all": []}
    for opportunity in won:
        lot, car = opportunity.lot, opportunity.car
        sale, valuation = car.sale, car.valuation
        hammer = car.purchase_price
        profit = sale.price - sale.cost_at_sale
        costs, _, _ = advice.costs_for_lot(lot, past)
        ceiling = arithmetic.max_bid(resale=valuation.predicted, costs=costs)
        picks["all"].append(profit)
        if hammer <= ceiling:
            picks["advice"].append(profit)
        if hammer <= valuation.predicted:
            picks["value"].append(profit)

    def strategy(name: str, profits: list[Decimal]) -> Strategy:
        return Strategy(name=name, bought=len(profits), profit=sum(profits, Decimal("0")), losses=sum(1 for p in profits if p < 0))

    return Backtest(
        lots=len(picks["all"]),
        advice=strategy("Bid up to the advised maximum", picks["advice"]),
        up_to_value=strategy("Bid up to the predicted value", picks["value"]),
        as_bought=strategy("What the group paid", picks["all"]),
    )
