"""Advice for buyers and for stock: what a lot is worth to the group and the most to bid
for it, and whether a car in stock should hold its price, be repriced or move.

The figures come from three places: the value model in use (what the car sells for once
repaired), the group's own history (what such cars cost to repair, how long they take
to sell, what moving one from an auction costs) and each source's buyer fees. The
arithmetic is ml.advice's; this module gathers its inputs in a fixed number of queries
whatever the number of lots, so the live board can show a verdict on every row.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.db.models import F, Sum
from django.utils import timezone

from ifixit import caching
from ifixit.analytics.ml import advice as arithmetic
from ifixit.analytics.models import ValueModel
from ifixit.analytics.valuation import services as valuation
from ifixit.money import symbol as currency_symbol
from ifixit.vocabulary import KM_PER_MILE

# A median from fewer cars than this is not used; the next, wider group of cars is.
MIN_SAMPLE = arithmetic.MIN_REPAIR_SAMPLE
DEFAULT_REPAIR = Decimal("600.00")  # a group with no repair history at all
ZERO = Decimal(0)


@dataclass(frozen=True)
class History:
    """Medians from the group's own cars, by what they are keyed on, with sample sizes."""

    repair_by_damage: dict[str, tuple[Decimal, int]]
    repair_by_model: dict[tuple[str, str], tuple[Decimal, int]]
    repair_overall: tuple[Decimal, int]
    days_by_model: dict[tuple[str, str], tuple[int, int]]
    days_overall: tuple[int, int]
    transport_by_source: dict[int, tuple[Decimal, int]]
    transport_overall: tuple[Decimal, int]
    holding_per_day: Decimal


def _median(values) -> Decimal:
    return Decimal(statistics.median(values)).quantize(Decimal("0.01"))


def _medians(groups: dict, minimum: int = MIN_SAMPLE) -> dict:
    return {key: (_median(values), len(values)) for key, values in groups.items() if len(values) >= minimum}


def history() -> History:
    """The group's own figures for advice (five queries), cached until the stock or the
    locations change."""
    return caching.READS["advice.history"].get_or_compute(_history)


def _history() -> History:
    from ifixit.auctions.models import Opportunity
    from ifixit.inventory.models import Car, Phase, RepairItem, Sale
    from ifixit.locations.models import Location

    # Cars whose repair is over: ready, listed, reserved or sold; a car still in the
    # workshop would pull the medians down.
    repaired = [Phase.READY, Phase.LISTED, Phase.RESERVED, Phase.SOLD]
    totals = dict(
        RepairItem.objects.filter(car__phase__in=repaired).values("car")
        .annotate(total=Sum(F("parts_cost") + F("labour_cost"))).values_list("car", "total")
    )
    by_model, overall = defaultdict(list), []
    for pk, make, model in Car.objects.filter(phase__in=repaired).values_list("pk", "make", "model").iterator():
        repairs = totals.get(pk, ZERO)
        by_model[(make.lower(), model.lower())].append(repairs)
        overall.append(repairs)

    by_damage, by_source, transports = defaultdict(list), defaultdict(list), []
    won = Opportunity.objects.filter(decision=Opportunity.Decision.WON, car__isnull=False)
    for damage, source_id, car_id, transport, phase in won.values_list(
        "lot__damage", "lot__source_id", "car_id", "car__transport_cost", "car__phase"
    ):
        if phase in repaired:
            by_damage[(damage or "").lower()].append(totals.get(car_id, ZERO))
        if transport:
            by_source[source_id].append(transport)
            transports.append(transport)

    days_by_model, days = defaultdict(list), []
    for make, model, sold_on, bought_on in Sale.objects.filter(car__purchased_on__isnull=False).values_list(
        "car__make", "car__model", "sold_on", "car__purchased_on"
    ):
        if sold_on >= bought_on:
            days_by_model[(make.lower(), model.lower())].append((sold_on - bought_on).days)
            days.append((sold_on - bought_on).days)

    holding = list(Location.objects.filter(is_active=True).values_list("daily_holding_cost", flat=True))
    return History(
        repair_by_damage=_medians(by_damage),
        repair_by_model=_medians(by_model),
        repair_overall=(_median(overall), len(overall)) if overall else (DEFAULT_REPAIR, 0),
        days_by_model={key: (int(median), n) for key, (median, n) in _medians(days_by_model).items()},
        days_overall=(int(statistics.median(days)), len(days)) if days else (settings.ADVICE_DEFAULT_DAYS_TO_SELL, 0),
        transport_by_source=_medians(by_source, minimum=3),
        transport_overall=(_median(transports), len(transports)) if transports else (Decimal(settings.ADVICE_DEFAULT_TRANSPORT_COST), 0),
        holding_per_day=_median(holding) if holding else Decimal("12.00"),
    )


@dataclass(frozen=True)
class LotAdvice:
    lot_id: int
    bid: arithmetic.BidAdvice
    model_version: int
    repair_basis: str  # what the repair estimate rests on, in words
    days_basis: str

    # The figures the alert matcher and the API read directly.
    @property
    def max_bid(self) -> int:
        return self.bid.max_bid

    @property
    def verdict(self) -> str:
        return self.bid.verdict

    @property
    def expected_margin(self) -> Decimal | None:
        return self.bid.expected_margin

    @property
    def expected_roi(self) -> float | None:
        return self.bid.expected_roi


def _lot_miles(lot) -> int | None:
    if lot.mileage is None:
        return None
    return round(lot.mileage / KM_PER_MILE) if lot.mileage_unit == "km" else lot.mileage


def costs_for_lot(lot, past: History, *, margin_percent: Decimal | None = None) -> tuple[arithmetic.Costs, str, str]:
    key = (lot.make.lower(), lot.model.lower())
    damage = (lot.damage or "").lower()
    if damage in past.repair_by_damage:
        repair, sample = past.repair_by_damage[damage]
        repair_basis = f"median repairs of {sample} cars bought with {damage} damage"
    elif key in past.repair_by_model:
        repair, sample = past.repair_by_model[key]
        repair_basis = f"median repairs of {sample} {lot.make} {lot.model}s"
    else:
        repair, sample = past.repair_overall
        repair_basis = f"median repairs of all {sample} cars" if sample else "no repair history yet: a default"
    days, days_sample = past.days_by_model.get(key, past.days_overall)
    days_basis = (f"{lot.make} {lot.model}s sell in a median {days} days ({days_sample} sales)" if key in past.days_by_model
                  else f"the group's cars sell in a median {days} days ({days_sample} sales)" if days_sample
                  else f"no sales yet: {days} days assumed")
    transport, _ = past.transport_by_source.get(lot.source_id, past.transport_overall)
    costs = arithmetic.Costs(
        repair=repair, repair_sample=sample, transport=transport, holding_per_day=past.holding_per_day,
        days_to_sell=days, fee_percent=lot.source.buyer_fee_percent, fee_fixed=lot.source.buyer_fee_fixed,
        margin_percent=Decimal(margin_percent if margin_percent is not None else settings.ADVICE_TARGET_MARGIN_PERCENT),
    )
    return costs, repair_basis, days_basis


def lot_advice_many(lots) -> dict[int, LotAdvice]:
    """Advice for each lot the model can price: lots bid in another currency, and every
    lot before the first model is trained, get none. The lots' sources must be loaded
    (select_related) for a fixed number of queries. Each lot's advice is cached under its
    own state (its bid, its car, its source's fees), the model version and the day: the
    board asks again every few seconds, and only lots whose bid moved are priced again."""
    lots = [lot for lot in lots if lot.currency == settings.CURRENCY and lot.make and lot.make != "?"]
    found = valuation.model_in_use()
    if not lots or found is None:
        return {}
    version, model = found
    today = timezone.localdate()
    by_id = {lot.pk: lot for lot in lots}
    margin = settings.ADVICE_TARGET_MARGIN_PERCENT
    questions = {
        lot.pk: caching.parts_of(lot, caching.LOT_FIELDS) | {"version": version, "margin": margin, "today": today}
        for lot in lots
    }
    return caching.READS["advice.lot"].get_many_or_compute(
        questions, lambda ids: _lot_advice_computed([by_id[pk] for pk in ids], version, model, today)
    )


def _lot_advice_computed(lots, version, model, today) -> dict[int, LotAdvice]:
    past = history()
    rows = pd.DataFrame.from_records([
        valuation.resale_row(make=lot.make, model=lot.model, trim=lot.trim, year=lot.year, mileage=_lot_miles(lot),
                             fuel=lot.fuel, transmission=lot.transmission, body_type=lot.body_type, colour=lot.colour)
        for lot in lots
    ])
    predictions = model.predict(rows, as_of=today + timedelta(days=past.days_overall[0]))
    symbol = currency_symbol()
    advice = {}
    for lot, (mid, low, high) in zip(lots, predictions[["mid", "low", "high"]].itertuples(index=False)):
        costs, repair_basis, days_basis = costs_for_lot(lot, past)
        bid = arithmetic.bid_advice(resale=mid, low=low, high=high, current_bid=lot.current_bid, costs=costs, currency=symbol)
        advice[lot.pk] = LotAdvice(lot_id=lot.pk, bid=bid, model_version=version, repair_basis=repair_basis, days_basis=days_basis)
    return advice


def lot_advice(lot) -> LotAdvice | None:
    return lot_advice_many([lot]).get(lot.pk)


def model_accuracy() -> dict | None:
    """The measured accuracy of the model in use, shown beside every prediction."""
    found = valuation.model_in_use()
    if found is None:
        return None
    version = found[0]

    def compute():
        row = ValueModel.objects.filter(version=version).values("metrics", "held_out_rows", "trained_at").first()
        return (row or {}) | {"version": version}

    return caching.READS["advice.model-accuracy"].get_or_compute(compute, version=version)


@dataclass(frozen=True)
class CarAdvice:
    stock: arithmetic.StockAdvice
    resale: Decimal
    low: Decimal
    high: Decimal
    model_version: int
    days_to_sell: int
    days_listed: int


def car_advice(*, user, car, placement=None) -> CarAdvice | None:
    """Hold, reprice or move a car in stock (not sold), from its value today, how long it
    has been for sale and where else in the group it would do better."""
    from ifixit.inventory.models import Phase

    if car.phase == Phase.SOLD:
        return None
    found = valuation.model_in_use()
    if found is None:
        return None
    # Cached by the car's own fields, the model version and the day (days in stock); the
    # stock and locations topics renew it when the group's history or the placement moves.
    # The callers found the car among the user's cars: the answer is the car's, not the user's.
    return caching.READS["advice.car"].get_or_compute(
        lambda: _car_advice(user=user, car=car, placement=placement),
        **caching.parts_of(car, caching.CAR_FIELDS), version=found[0], today=timezone.localdate(),
    )


def _car_advice(*, user, car, placement) -> CarAdvice | None:
    from ifixit.inventory.placement import placement_advice

    found = valuation.predict(valuation.car_row(car))
    if found is None:
        return None
    version, prediction = found
    past = history()
    days, _ = past.days_by_model.get((car.make.lower(), car.model.lower()), past.days_overall)
    bought = car.purchased_on or timezone.localdate(car.created_at)
    days_listed = (timezone.localdate() - bought).days
    best_move = None
    placement = placement or placement_advice(user=user, car=car)
    if placement.recommendation is not None and not placement.recommendation.is_current and placement.gain_over_current:
        best_move = (placement.recommendation.location.name, placement.gain_over_current)
    stock = arithmetic.stock_advice(
        asking=car.asking_price, resale=prediction.mid, low=prediction.low, high=prediction.high, days_listed=days_listed,
        days_to_sell=days, holding_per_day=car.location.daily_holding_cost, best_move=best_move, currency=currency_symbol(),
    )
    return CarAdvice(stock=stock, resale=arithmetic.money(prediction.mid), low=arithmetic.money(prediction.low),
                     high=arithmetic.money(prediction.high), model_version=version, days_to_sell=days, days_listed=days_listed)
