"""Reads of inventory, always scoped to the locations the user may see.

Location scoping lives here, once: pages and the API both start from
`locations_visible_to` / `cars_visible_to`, so a user can never reach a car of
a location they may not see, whatever door they come in by.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.inventory.models import (
    Car,
    CarPhoto,
    CarPhotoVariant,
    Payment,
    Phase,
    PhaseChange,
    RepairItem,
    Sale,
    Transfer,
)
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))


def cars_visible_to(user: User) -> QuerySet[Car]:
    if not user.is_authenticated or not user.is_active:
        return Car.objects.none()
    if user.is_group_wide:
        return Car.objects.all()
    return Car.objects.filter(location__staff=user)


def with_cost_totals(cars: QuerySet[Car]) -> QuerySet[Car]:
    """Annotate repair_total and total_cost in the same query (no per-row lookups)."""
    repair_sum = (
        RepairItem.objects.filter(car=OuterRef("pk"))
        .order_by()
        .values("car")
        .annotate(s=Sum(F("parts_cost") + F("labour_cost")))
        .values("s")
    )
    return cars.annotate(
        repair_total=Coalesce(Subquery(repair_sum, output_field=DecimalField(max_digits=12, decimal_places=2)), ZERO)
    ).annotate(total_cost=F("purchase_price") + F("auction_fees") + F("transport_cost") + F("repair_total"))


@dataclass(frozen=True)
class CarFilters:
    location: int | None = None
    phase: str = ""
    make: str = ""
    model: str = ""
    year_min: int | None = None
    year_max: int | None = None
    min_days_in_phase: int | None = None
    q: str = ""
    sort: str = "-created_at"
    # How a sold car was paid for: "cash", "finance", "part_exchange" (either, with one),
    # or "awaiting_delivery" (sold, not yet handed over).
    payment: str = ""


PAYMENT_FILTERS = {
    "cash": "Sold for cash",
    "finance": "Sold on finance",
    "part_exchange": "Sold with a part-exchange",
    "awaiting_delivery": "Sold, awaiting delivery",
}


SORTS = {
    "-created_at": "Newest first",
    "created_at": "Oldest first",
    "-phase_changed_at": "Recently moved",
    "phase_changed_at": "Longest in phase",
    "make": "Make A–Z",
    "-year": "Year, newest",
    "year": "Year, oldest",
    "mileage": "Mileage, lowest",
    "-mileage": "Mileage, highest",
    "-total_cost": "Cost, highest",
}


def car_list(*, user: User, filters: CarFilters) -> QuerySet[Car]:
    """The car list: filtered, sorted and paged in the database. One query per page."""
    cars = with_cost_totals(cars_visible_to(user)).select_related("location")
    if filters.location:
        cars = cars.filter(location_id=filters.location)
    if filters.phase:
        cars = cars.filter(phase=filters.phase)
    if filters.make:
        cars = cars.filter(make__iexact=filters.make)
    if filters.model:
        cars = cars.filter(model__iexact=filters.model)
    if filters.year_min:
        cars = cars.filter(year__gte=filters.year_min)
    if filters.year_max:
        cars = cars.filter(year__lte=filters.year_max)
    if filters.min_days_in_phase is not None:
        cars = cars.filter(phase_changed_at__lte=timezone.now() - timedelta(days=filters.min_days_in_phase))
    if filters.payment in ("cash", "finance"):
        cars = cars.filter(sale__payment=filters.payment)
    elif filters.payment == "part_exchange":
        cars = cars.filter(sale__part_exchange_allowance__gt=0)
    elif filters.payment == "awaiting_delivery":
        cars = cars.filter(sale__isnull=False, sale__delivered_at__isnull=True)
    if filters.q:
        term = filters.q.strip()
        cars = cars.filter(
            Q(vin__icontains=term.replace(" ", ""))
            | Q(registration__icontains=term.replace(" ", ""))
            | Q(make__icontains=term)
            | Q(model__icontains=term)
        )
    sort = filters.sort if filters.sort in SORTS else "-created_at"
    secondary = "-id" if sort.startswith("-") else "id"
    if sort == "make":
        return cars.order_by("make", "model", "-id")
    return cars.order_by(sort, secondary)


def car_get(*, user: User, pk: int) -> Car:
    """A car the user may see, or 404 (never 403: another location's car does not exist for them)."""
    return get_object_or_404(
        with_cost_totals(cars_visible_to(user)).select_related(
            "location", "created_by", "sale", "sale__sold_by", "sale__delivered_by", "sale__payment_changed_by"
        ),
        pk=pk,
    )


def car_timeline(*, car: Car) -> QuerySet[PhaseChange]:
    return car.phase_changes.select_related("changed_by").order_by("-changed_at", "-id")


def car_repairs(*, car: Car) -> QuerySet[RepairItem]:
    return car.repair_items.select_related("created_by")


def car_photos(*, car: Car) -> QuerySet[CarPhoto]:
    """The car's gallery in its order, with every photo's variants (one more query, whatever
    the number of photos)."""
    return car.photos.prefetch_related("variants")


def car_photo_get(*, car: Car, photo_id: int) -> CarPhoto:
    return get_object_or_404(car.photos.prefetch_related("variants"), pk=photo_id)


def with_primary_photo(cars: QuerySet[Car]) -> QuerySet[Car]:
    """Cars with `primary_photos` (a list of at most one: the car's face) and its small
    variants: two more queries for a whole page of cars, not two per car."""
    small = CarPhotoVariant.objects.filter(size__in=["thumb", "card"])
    primary = CarPhoto.objects.filter(is_primary=True).prefetch_related(Prefetch("variants", queryset=small))
    return cars.prefetch_related(Prefetch("photos", queryset=primary, to_attr="primary_photos"))


def make_choices(*, user: User) -> list[str]:
    return list(cars_visible_to(user).order_by("make").values_list("make", flat=True).distinct())


def model_choices(*, user: User, make: str) -> list[str]:
    if not make:
        return []
    return list(
        cars_visible_to(user).filter(make__iexact=make).order_by("model").values_list("model", flat=True).distinct()
    )


@dataclass
class Dashboard:
    locations: list[Location]
    stock_rows: list[dict]
    location_totals: list[int]
    stock_total: int
    longest_fixing: list["RepairBoardRow"]
    month_sales_count: int
    month_revenue: Decimal
    month_gross_profit: Decimal
    month_start: date
    month_on_finance: int = 0
    awaiting_delivery: int = 0  # sold, not yet handed over (finance not yet funded, mostly)


def dashboard(*, user: User, location_id: int | None = None) -> Dashboard:
    """Home dashboard: a fixed handful of aggregate queries, whatever the stock size."""
    cars = cars_visible_to(user)
    sales = Sale.objects.filter(location__in=locations_visible_to(user))
    locations = list(locations_visible_to(user).filter(is_active=True))
    if location_id:
        cars = cars.filter(location_id=location_id)
        sales = sales.filter(location_id=location_id)
        locations = [loc for loc in locations if loc.id == location_id]

    phases = [p for p in Phase if p != Phase.SOLD]
    counts = {
        (row["location_id"], row["phase"]): row["n"]
        for row in cars.exclude(phase=Phase.SOLD).order_by().values("location_id", "phase").annotate(n=Count("id"))
    }
    # Phases down the side and locations across: it reads on a phone and on a desktop.
    stock_rows = [
        {
            "phase": p,
            "cells": [(loc, counts.get((loc.id, p), 0)) for loc in locations],
            "total": sum(counts.get((loc.id, p), 0) for loc in locations),
        }
        for p in phases
    ]
    location_totals = [sum(counts.get((loc.id, p), 0) for p in phases) for loc in locations]

    # The repair board's rows and states, so the dashboard and the alerts agree.
    longest_fixing = repair_rows(cars)[:10]

    today = timezone.localdate()
    month_start = today.replace(day=1)
    month = sales.filter(sold_on__gte=month_start, sold_on__lte=today).aggregate(
        n=Count("id"),
        revenue=Coalesce(Sum("price"), ZERO),
        profit=Coalesce(Sum(F("price") - F("cost_at_sale")), ZERO),
        on_finance=Count("id", filter=Q(payment=Payment.FINANCE)),
    )
    awaiting_delivery = sales.filter(delivered_at__isnull=True).count()
    return Dashboard(
        locations=locations,
        stock_rows=stock_rows,
        location_totals=location_totals,
        stock_total=sum(location_totals),
        longest_fixing=longest_fixing,
        month_sales_count=month["n"],
        month_revenue=month["revenue"],
        month_gross_profit=month["profit"],
        month_start=month_start,
        month_on_finance=month["on_finance"],
        awaiting_delivery=awaiting_delivery,
    )


# --- Repair times --------------------------------------------------------------------


class RepairState:
    ON_TIME = "on_time"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    LABELS = {ON_TIME: "On time", AT_RISK: "At risk", OVERDUE: "Overdue"}
    RANK = {OVERDUE: 0, AT_RISK: 1, ON_TIME: 2}  # worst first


def repair_state(days: int, location: Location) -> str:
    if days >= location.repair_overdue_days:
        return RepairState.OVERDUE
    if days >= location.repair_at_risk_days:
        return RepairState.AT_RISK
    return RepairState.ON_TIME


@dataclass(frozen=True)
class RepairBoardRow:
    car: Car
    fixing_since: datetime
    days: int
    repair_spend: Decimal
    state: str
    cost_of_delay: Decimal

    @property
    def state_label(self) -> str:
        return RepairState.LABELS[self.state]


def fixing_cars(cars: QuerySet[Car]) -> QuerySet[Car]:
    """Cars in fixing with `fixing_since` taken from their phase history (the latest
    change, which is the one that put the car into fixing) and their repair spend."""
    entered = PhaseChange.objects.filter(car=OuterRef("pk")).order_by("-changed_at", "-id").values("changed_at")[:1]
    return (
        with_cost_totals(cars.filter(phase=Phase.FIXING))
        .annotate(fixing_since=Subquery(entered))
        .select_related("location")
    )


def repair_rows(cars: QuerySet[Car], *, now: datetime | None = None) -> list[RepairBoardRow]:
    now = now or timezone.now()
    rows = []
    for car in fixing_cars(cars):
        since = car.fixing_since or car.phase_changed_at  # a car imported without history
        days = max((now - since).days, 0)
        rows.append(
            RepairBoardRow(
                car=car,
                fixing_since=since,
                days=days,
                repair_spend=car.repair_total,
                state=repair_state(days, car.location),
                cost_of_delay=car.location.daily_holding_cost * days,
            )
        )
    rows.sort(key=lambda row: (RepairState.RANK[row.state], -row.days, row.car.pk))
    return rows


def repair_board(*, user: User, location_id: int | None = None, now: datetime | None = None) -> list[RepairBoardRow]:
    """The repair board: every car in fixing the user may see, worst first (two queries)."""
    cars = cars_visible_to(user)
    if location_id:
        cars = cars.filter(location_id=location_id)
    return repair_rows(cars, now=now)


# --- Transfers ---------------------------------------------------------------------------


def transfers_visible_to(user: User) -> QuerySet[Transfer]:
    """Transfers out of or into a location the user may see: each side sees its own."""
    if not user.is_authenticated or not user.is_active:
        return Transfer.objects.none()
    if user.is_group_wide:
        return Transfer.objects.all()
    mine = locations_visible_to(user)
    return Transfer.objects.filter(Q(from_location__in=mine) | Q(to_location__in=mine))


def transfer_list(*, user: User, status: str = "", location_id: int | None = None) -> QuerySet[Transfer]:
    transfers = transfers_visible_to(user).select_related(
        "car", "from_location", "to_location", "requested_by", "decided_by", "dispatched_by", "received_by", "cancelled_by"
    )
    if status == "open":
        transfers = transfers.filter(status__in=Transfer.OPEN)
    elif status:
        transfers = transfers.filter(status=status)
    if location_id:
        transfers = transfers.filter(Q(from_location_id=location_id) | Q(to_location_id=location_id))
    return transfers


def car_transfers(*, car: Car) -> QuerySet[Transfer]:
    return car.transfers.select_related(
        "from_location", "to_location", "requested_by", "decided_by", "dispatched_by", "received_by", "cancelled_by"
    )


def transfer_destinations(*, car: Car) -> QuerySet[Location]:
    """Where a car may be sent: any active location of the group but its own."""
    return Location.objects.filter(is_active=True).exclude(pk=car.location_id)
