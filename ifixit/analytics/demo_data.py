"""Demo market history: synthetic auction and retail results over three years (with a
seasonal swing and a few outliers), plus the demo's own sales and sold lots, folded into
the rollups, so every analytics page has something meaningful to show after `make run`."""

import itertools
from decimal import Decimal
from dataclasses import dataclass

from django.utils import timezone

from ifixit.analytics import synthetic
from ifixit.analytics.models import SaleFact
from ifixit.analytics.warehouse import services as warehouse


@dataclass
class AnalyticsSummary:
    market_facts: int
    own_facts: int
    lot_facts: int
    months: int

    def line(self) -> str:
        return (f"{self.market_facts + self.own_facts + self.lot_facts:,} sales in the market warehouse "
                f"({self.market_facts:,} market history, {self.own_facts} own, {self.lot_facts} auction lots), "
                f"rolled up over {self.months} months.")


def analytics_demo_data_create(*, seed: int = 42, facts: int = 8000) -> AnalyticsSummary:
    made = iter(synthetic.facts(count=facts, seed=seed, end=timezone.localdate()))
    market = 0
    while batch := list(itertools.islice(made, 5000)):
        SaleFact.objects.bulk_create(batch, ignore_conflicts=True, batch_size=5000)
        market += len(batch)
    synced = warehouse.facts_sync()
    months = warehouse.rollups_refresh()
    return AnalyticsSummary(market_facts=market, own_facts=synced.sales, lot_facts=synced.lots, months=months)


@dataclass
class AdviceSummary:
    won_lots: int
    model_version: int | None
    mae: float | None
    baseline_mae: float | None
    valuations: int
    preferences: int

    def line(self) -> str:
        if self.model_version is None:
            return f"{self.won_lots} won lots; no value model (too little data)."
        return (f"{self.won_lots} won lots behind the demo's cars; value model v{self.model_version} "
                f"(held-out MAE £{self.mae:,.0f} against the baseline's £{self.baseline_mae:,.0f}); "
                f"{self.valuations} valuations at purchase; {self.preferences} bidding preferences.")


# The demo's models stop early so seeding stays quick (the test suite seeds many times);
# the nightly training's full model replaces the demo's if it is not worse.
DEMO_BOOSTING_ROUNDS = 60

# The damage a lot was sold with, told by the work its car needed afterwards.
DAMAGE_BY_REPAIR = {"bodywork": ("front end", "side", "rear end"), "paint": ("side", "vandalism"),
                    "mechanical": ("mechanical",), "electrical": ("mechanical",)}


def advice_demo_data_create(*, seed: int = 42) -> AdviceSummary:
    """The auctions the demo's cars were bought at (closed, won lots with their damage), a
    value model trained on the market (without the group's own sales, so the self-audit
    measures it on cars it never saw), the valuation each car had when it was bought, and a
    buyer's bidding preferences."""
    import random
    from collections import Counter
    from datetime import datetime, time, timedelta

    import pandas as pd
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.db.models import Count, Max

    from ifixit.accounts.models import User
    from ifixit.analytics.ml import evaluation, value
    from ifixit.analytics.models import Valuation, ValueModel
    from ifixit.analytics.valuation import services as valuation
    from ifixit.auctions.models import AuctionSource, Lot, Opportunity
    from ifixit.auctions.services import PreferenceInput, preference_save
    from ifixit.inventory.models import Car, Phase, RepairItem, Sale

    rng = random.Random(seed)
    source, _ = AuctionSource.objects.get_or_create(
        name="BCA (past sales)", defaults={"kind": AuctionSource.Kind.POLLING, "url": "http://127.0.0.1:9/", "enabled": False},
    )
    buyer = User.objects.filter(username="buyer").first()
    cars = list(Car.objects.filter(purchased_on__isnull=False, won_lot__isnull=True).exclude(phase=Phase.SOURCED))
    work = Counter()
    for car_id, category, n in RepairItem.objects.values_list("car_id", "category").annotate(n=Count("id")):
        work[(car_id, category)] += n
    zone = timezone.get_current_timezone()
    lots = []
    for car in cars:
        needed = [c for c in DAMAGE_BY_REPAIR if work[(car.pk, c)]]
        damage = rng.choice(DAMAGE_BY_REPAIR[max(needed, key=lambda c: work[(car.pk, c)])]) if needed else "none"
        closed = datetime.combine(car.purchased_on, time(14, rng.randrange(60)), zone)
        lots.append(Lot(
            source=source, external_id=f"H{car.pk}", stage=Lot.Stage.CLOSED, outcome=Lot.Outcome.SOLD, make=car.make,
            model=car.model, trim=car.trim, year=car.year, mileage=car.mileage, fuel=car.fuel, transmission=car.transmission,
            body_type=car.body_type, colour=car.colour, damage=damage, condition="runs and drives", region="Yorkshire",
            current_bid=int(car.purchase_price), bid_count=rng.randint(3, 25), starts_at=closed - timedelta(minutes=2),
            ends_at=closed, closed_at=closed, first_seen_at=closed - timedelta(days=2), updated_at=closed,
        ))
    Lot.objects.bulk_create(lots, batch_size=1000)
    by_ref = {lot.external_id: lot for lot in Lot.objects.filter(source=source)}
    decisions = [Opportunity(lot=by_ref[f"H{car.pk}"], decision=Opportunity.Decision.WON, car=car, decided_by=buyer,
                             decided_at=by_ref[f"H{car.pk}"].closed_at) for car in cars]
    Opportunity.objects.bulk_create(decisions, batch_size=1000)
    warehouse.facts_sync()
    warehouse.rollups_refresh()

    # Each car's valuation at purchase comes from a model that never saw its sale: the cars
    # are split in two, and each half is valued by a model trained without that half's
    # sales (kept as "evaluated only" versions). The model put in use learns from all.
    days = timedelta(days=settings.ADVICE_DEFAULT_DAYS_TO_SELL)
    sold = dict(Sale.objects.filter(car__in=cars).values_list("car_id", "pk"))
    valuations = []
    for half in (0, 1):
        valued = [car for car in cars if car.pk % 2 == half]
        data = valuation.training_frame(exclude_sales=[sold[car.pk] for car in valued if car.pk in sold])
        if len(data) < valuation.MIN_TRAINING_ROWS:
            return AdviceSummary(won_lots=len(cars), model_version=None, mae=None, baseline_mae=None, valuations=0, preferences=0)
        train, test = evaluation.holdout_split(data)
        model = value.train(train, max_iter=DEMO_BOOSTING_ROUNDS)
        fold = ValueModel.objects.create(
            version=(ValueModel.objects.aggregate(top=Max("version"))["top"] or 0) + 1, status=ValueModel.Status.EVALUATED, training_rows=len(train), held_out_rows=len(test),
            features=list(model.features), metrics=evaluation.evaluate(model, test).as_dict() | {"interval": model.interval},
            baseline_metrics=evaluation.evaluate_baseline(evaluation.Baseline.fit(train), test).as_dict(),
            decision=f"Demo: values the cars of one half without their own sales (half {half + 1} of 2).",
            triggered_by="demo", artifact=model.dumps(),
        )
        rows = pd.DataFrame.from_records([valuation.car_row(car) | {"sale_date": car.purchased_on + days} for car in valued])
        rows["sale_date"] = pd.to_datetime(rows["sale_date"])
        predicted = model.predict(rows)
        valuations += [
            Valuation(car=car, model=fold, model_version=fold.version, predicted=f"{mid:.2f}", low=f"{low:.2f}", high=f"{high:.2f}",
                      made_at=datetime.combine(car.purchased_on, time(15), zone))
            for car, (mid, low, high) in zip(valued, predicted[["mid", "low", "high"]].itertuples(index=False))
        ]
    Valuation.objects.bulk_create(valuations, batch_size=1000)
    trained = valuation.valuation_train(triggered_by="demo", max_iter=DEMO_BOOSTING_ROUNDS).model

    preferences = 0
    if buyer is not None:
        for wanted in (
            PreferenceInput(name="Ford Fiesta and Focus, recent", models=[("Ford", "Fiesta"), ("Ford", "Focus")], year_min=2017,
                            mileage_max=60_000, price_max=7_000),
            PreferenceInput(name="Any SUV worth 20%", makes=["Nissan", "Kia", "Hyundai"], min_roi=Decimal("20")),
            PreferenceInput(name="Cheap runabouts", price_max=3_000, mileage_max=90_000, min_margin=Decimal("800")),
        ):
            try:
                preference_save(user=buyer, data=wanted)
                preferences += 1
            except ValidationError:  # a make the demo's auctions have not offered
                continue
    return AdviceSummary(won_lots=len(cars), model_version=trained.version, mae=trained.metrics["mae"],
                         baseline_mae=trained.baseline_metrics["mae"], valuations=len(valuations), preferences=preferences)
