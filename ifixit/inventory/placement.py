"""Placement advice: which of the group's own locations is the best place to sell a car.

Each active location is judged on its own recent history of similar sold cars
(same make and model in the same age band, else same body type in the same age
band): median days to sell and median gross profit, net of what it costs to move
the car there. Only aggregate figures per location leave this module, never
another location's individual cars: the advice is group-wide on purpose, so a
manager of one site sees where else in the group the car would sell better.
"""

import calendar
import statistics
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from django.db.models import BooleanField, ExpressionWrapper, F, IntegerField, Q
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.utils import timezone

from ifixit import caching
from ifixit.accounts.models import User
from ifixit.inventory.models import Car, Phase, Sale, Transfer
from ifixit.inventory.selectors import cars_visible_to
from ifixit.locations.models import Location

# Below this many similar sales a median says more about single cars than about the site.
MIN_SAMPLE = 5
HISTORY_MONTHS = 24
# What a move between two sites costs when nobody has supplied a quote and the group
# has never moved a car between them.
DEFAULT_TRANSPORT_COST = Decimal("150.00")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class AgeBand:
    low: int | None  # None: no lower bound (a car sold in the year before its model year)
    high: int | None  # None: no upper bound
    label: str

    def contains(self, age: int) -> bool:
        return (self.low is None or age >= self.low) and (self.high is None or age <= self.high)


# Age at sale = sale year - model year.
AGE_BANDS = (
    AgeBand(None, 3, "0–3 years"),
    AgeBand(4, 7, "4–7 years"),
    AgeBand(8, 12, "8–12 years"),
    AgeBand(13, None, "13+ years"),
)


def age_band(age: int) -> AgeBand:
    return next(band for band in AGE_BANDS if band.contains(age))


class Basis(StrEnum):
    MAKE_MODEL = "make_model"
    BODY_TYPE = "body_type"


class TransportSource(StrEnum):
    HERE = "here"  # the car is already there
    GIVEN = "given"  # a quote the caller passed in
    HISTORY = "history"  # median of past received transfers between the two sites
    ESTIMATED = "estimated"  # DEFAULT_TRANSPORT_COST


@dataclass(frozen=True)
class LocationPlacement:
    """One location's figures for this car. Thin rows (too few similar sales) carry
    only the sample size; their medians, transport and net are None."""

    location: Location
    basis: Basis
    basis_label: str  # "Ford Focus" or "Hatchback"
    sample_size: int
    median_days: int | float | None  # None when no sale in the sample has a purchase date
    median_gross_profit: Decimal | None
    transport_cost: Decimal | None
    transport_source: TransportSource | None
    net_profit: Decimal | None
    is_current: bool
    is_best: bool = False

    @property
    def has_enough_history(self) -> bool:
        return self.sample_size >= MIN_SAMPLE

    @property
    def transport_estimated(self) -> bool:
        return self.transport_source == TransportSource.ESTIMATED


@dataclass(frozen=True)
class PlacementAdvice:
    car: Car
    age_band: AgeBand
    since: date  # first day of the history window
    ranked: list[LocationPlacement]  # enough history, best first
    thin: list[LocationPlacement]  # not enough history, by name; not ranked
    recommendation: LocationPlacement | None
    reason: str  # why there is no recommendation; "" when there is one
    min_sample: int = MIN_SAMPLE

    @property
    def stay_here(self) -> bool:
        return self.recommendation is not None and self.recommendation.is_current

    @property
    def gain_over_current(self) -> Decimal | None:
        """How much more the recommended location nets than selling where the car is,
        when the current location has enough history to compare."""
        current = next((row for row in self.ranked if row.is_current), None)
        if self.recommendation is None or current is None:
            return None
        return self.recommendation.net_profit - current.net_profit


def placement_advice(*, user: User, car: Car, transport_costs: dict[int, Decimal] | None = None) -> PlacementAdvice:
    """Rank the group's active locations for selling `car`.

    `transport_costs` maps a location id to a quote for moving the car there; it wins
    over history. Four queries at most, whatever the size of the history.
    """
    if not cars_visible_to(user).filter(pk=car.pk).exists():
        raise Http404("No such car.")

    today = timezone.localdate()
    since = _months_before(today, HISTORY_MONTHS)
    band = age_band(today.year - car.year)
    if car.phase == Phase.SOLD:
        return PlacementAdvice(car, band, since, [], [], None, "This car is sold: there is nothing to place.")

    if transport_costs:  # a quote asked for by hand: answered fresh, never kept
        return _placement(car, since, band, transport_costs)
    # The same for every user who may see the car (checked above): cached by the car's own
    # fields and the day, renewed by the stock and locations topics (sales, transfers, sites).
    found = caching.READS["inventory.placement"].get_or_compute(
        lambda: _placement(car, since, band, {}), **caching.parts_of(car, caching.CAR_FIELDS), today=today
    )
    return replace(found, car=car)


def _placement(car: Car, since: date, band: AgeBand, transport_costs: dict) -> PlacementAdvice:
    locations = list(Location.objects.filter(is_active=True).order_by("name"))
    samples = _similar_sales(car, band, since, [loc.id for loc in locations])
    transport = _transport_costs(car, locations, transport_costs)

    make_model_label = f"{car.make} {car.model}"
    body_label = car.get_body_type_display()
    ranked, thin = [], []
    for loc in locations:
        basis, label, rows = Basis.MAKE_MODEL, make_model_label, samples[loc.id][Basis.MAKE_MODEL]
        if len(rows) < MIN_SAMPLE:
            basis, label, rows = Basis.BODY_TYPE, body_label, samples[loc.id][Basis.BODY_TYPE]
        is_current = loc.id == car.location_id
        if len(rows) < MIN_SAMPLE:
            thin.append(LocationPlacement(loc, basis, label, len(rows), None, None, None, None, None, is_current))
            continue
        days = [(sold_on - purchased_on).days for sold_on, purchased_on, _ in rows if purchased_on is not None]
        gross = _cents(statistics.median(profit for _, _, profit in rows))
        cost, source = transport[loc.id]
        ranked.append(
            LocationPlacement(
                location=loc,
                basis=basis,
                basis_label=label,
                sample_size=len(rows),
                median_days=statistics.median(days) if days else None,
                median_gross_profit=gross,
                transport_cost=cost,
                transport_source=source,
                net_profit=gross - cost,
                is_current=is_current,
            )
        )

    # Most net profit first; then the quicker sale; then staying put (no move to arrange).
    ranked.sort(
        key=lambda row: (
            -row.net_profit,
            row.median_days if row.median_days is not None else float("inf"),
            not row.is_current,
            row.location.name,
        )
    )
    if len(ranked) < 2:
        return PlacementAdvice(car, band, since, ranked, thin, None, _no_advice_reason(ranked, band))
    ranked[0] = replace(ranked[0], is_best=True)
    return PlacementAdvice(car, band, since, ranked, thin, ranked[0], "")


def _similar_sales(car: Car, band: AgeBand, since: date, location_ids: list[int]) -> dict:
    """location id -> basis -> [(sold_on, purchased_on, gross profit)], in one query.

    A sale of the same make and model but another body type counts for make/model
    only; one of another model but the same body type counts for body type only.
    """
    same_model = Q(car__make__iexact=car.make, car__model__iexact=car.model)
    same_body = Q(car__body_type=car.body_type)
    sales = (
        Sale.objects.filter(sold_on__gte=since, location_id__in=location_ids)
        .filter(same_model | same_body)
        .annotate(age=ExpressionWrapper(ExtractYear("sold_on") - F("car__year"), output_field=IntegerField()))
    )
    if band.low is not None:
        sales = sales.filter(age__gte=band.low)
    if band.high is not None:
        sales = sales.filter(age__lte=band.high)
    rows = (
        sales.annotate(
            is_same_model=ExpressionWrapper(same_model, output_field=BooleanField()),
            is_same_body=ExpressionWrapper(same_body, output_field=BooleanField()),
        )
        .order_by()
        .values_list(
            "location_id", "is_same_model", "is_same_body", "sold_on", "car__purchased_on", "price", "cost_at_sale"
        )
    )
    samples: dict[int, dict[Basis, list]] = defaultdict(lambda: {Basis.MAKE_MODEL: [], Basis.BODY_TYPE: []})
    for location_id, is_same_model, is_same_body, sold_on, purchased_on, price, cost_at_sale in rows:
        profit = price - cost_at_sale  # in Python: exact decimals whatever the database
        if is_same_model:
            samples[location_id][Basis.MAKE_MODEL].append((sold_on, purchased_on, profit))
        if is_same_body:
            samples[location_id][Basis.BODY_TYPE].append((sold_on, purchased_on, profit))
    return samples


def _transport_costs(
    car: Car, locations: list[Location], given: dict[int, Decimal]
) -> dict[int, tuple[Decimal, TransportSource]]:
    """location id -> (cost of moving the car there, where that figure came from)."""
    here = car.location_id
    costs: dict[int, tuple[Decimal, TransportSource]] = {here: (Decimal(0), TransportSource.HERE)}
    for loc in locations:
        if loc.id != here and loc.id in given:
            costs[loc.id] = (_cents(given[loc.id]), TransportSource.GIVEN)
    needed = [loc.id for loc in locations if loc.id not in costs]
    if not needed:
        return costs
    # A lorry costs the same either way, so transfers in both directions count.
    history: dict[int, list[Decimal]] = defaultdict(list)
    for from_id, to_id, cost in (
        Transfer.objects.filter(status=Transfer.Status.RECEIVED)
        .filter(
            Q(from_location_id=here, to_location_id__in=needed) | Q(to_location_id=here, from_location_id__in=needed)
        )
        .order_by()
        .values_list("from_location_id", "to_location_id", "transport_cost")
    ):
        history[to_id if from_id == here else from_id].append(cost)
    for location_id in needed:
        if history[location_id]:
            costs[location_id] = (_cents(statistics.median(history[location_id])), TransportSource.HISTORY)
        else:
            costs[location_id] = (DEFAULT_TRANSPORT_COST, TransportSource.ESTIMATED)
    return costs


def _no_advice_reason(ranked: list[LocationPlacement], band: AgeBand) -> str:
    need = f"{MIN_SAMPLE} or more similar cars ({band.label} old) in the last {HISTORY_MONTHS} months"
    if not ranked:
        return f"No location has sold {need}, so there is no advice yet."
    return f"Only {ranked[0].location.name} has sold {need}; advice needs at least two locations to compare."


def _months_before(day: date, months: int) -> date:
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _cents(value) -> Decimal:
    return Decimal(value).quantize(CENTS)
