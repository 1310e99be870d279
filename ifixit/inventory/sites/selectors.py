"""Reads about the group's locations: the list with stock counts, and one location's
figures (stock, ageing, cars on the move, monthly sales).

Scoping starts from `locations_visible_to`, like every other read, and each figure is
one aggregate query, so a location page costs the same with 30 cars or 3,000.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.inventory.models import STOCK_PHASES, Car, Payment, Phase, Sale, Transfer
from ifixit.locations.models import Location
from ifixit.inventory.selectors import ZERO, with_cost_totals
from ifixit.locations.selectors import locations_visible_to

MONTHS_OF_SALES = 12


def can_manage_locations(user: User) -> bool:
    """Admins only: the admin role group is the one holding locations.change_location."""
    return user.has_perm("locations.change_location")


def _with_stock_counts(locations: QuerySet[Location]) -> QuerySet[Location]:
    return locations.annotate(stock_count=Count("cars", filter=Q(cars__phase__in=STOCK_PHASES)))


def location_list(*, user: User) -> QuerySet[Location]:
    """The locations the user may see, with how many cars each has in stock (one query).
    Inactive locations are listed only to admins, who may reactivate them, after the rest."""
    locations = locations_visible_to(user)
    if not can_manage_locations(user):
        locations = locations.filter(is_active=True)
    return _with_stock_counts(locations).order_by("-is_active", "name")


def location_list_row(*, user: User, location_id: int) -> Location:
    """One row of the list, as `location_list` shapes it (the htmx fragment after a change)."""
    return get_object_or_404(_with_stock_counts(locations_visible_to(user)), pk=location_id)


def location_get(*, user: User, location_id: int) -> Location:
    """A location the user may see, or 404 (another location does not exist for them)."""
    return get_object_or_404(locations_visible_to(user), pk=location_id)


def location_today(location: Location) -> date:
    """Today where the location is: "days since purchase" turns over at the site's
    midnight, not the server's."""
    try:
        zone = ZoneInfo(location.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = None  # a zone the tz database has since dropped: the server's will do
    return timezone.localdate(timezone=zone)


# --- Figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeingBand:
    key: str
    label: str
    first_day: int | None  # days since purchase, inclusive; None for "unknown"
    last_day: int | None  # None: no upper end


AGEING_BANDS = [
    AgeingBand("0-30", "0–30 days", 0, 30),
    AgeingBand("31-60", "31–60 days", 31, 60),
    AgeingBand("61-90", "61–90 days", 61, 90),
    AgeingBand("90+", "Over 90 days", 91, None),
    AgeingBand("unknown", "Purchase date unknown", None, None),
]


@dataclass(frozen=True)
class PhaseCount:
    phase: Phase
    count: int
    value: Decimal


@dataclass(frozen=True)
class AgeingCount:
    band: AgeingBand
    count: int
    value: Decimal


@dataclass(frozen=True)
class MonthOfSales:
    month: date  # its first day
    sales: int
    revenue: Decimal
    gross_profit: Decimal
    on_finance: int = 0  # how many of the sales were paid through a lender

    @property
    def cash_sales(self) -> int:
        return self.sales - self.on_finance


@dataclass(frozen=True)
class LocationFigures:
    location: Location
    as_of: date
    stock_by_phase: list[PhaseCount]
    ageing: list[AgeingCount]
    # Every transfer to or from a location is visible to whoever sees the location
    # (inventory.selectors.transfers_visible_to), so these need no further scoping.
    incoming: list[Transfer]  # dispatched towards this location
    outgoing: list[Transfer]  # dispatched from it
    awaiting_dispatch: list[Transfer]  # approved, either way
    months: list[MonthOfSales]  # oldest first, the current month last

    @property
    def stock_count(self) -> int:
        return sum(row.count for row in self.stock_by_phase)

    @property
    def stock_value(self) -> Decimal:
        return sum((row.value for row in self.stock_by_phase), Decimal("0"))

    @property
    def sales_count(self) -> int:
        return sum(month.sales for month in self.months)

    @property
    def revenue(self) -> Decimal:
        return sum((month.revenue for month in self.months), Decimal("0"))

    @property
    def gross_profit(self) -> Decimal:
        return sum((month.gross_profit for month in self.months), Decimal("0"))

    @property
    def on_finance(self) -> int:
        return sum(month.on_finance for month in self.months)


def _ageing_band_expression(today: date) -> Case:
    whens = [When(purchased_on__isnull=True, then=Value("unknown"))]
    for band in AGEING_BANDS:
        if band.last_day is not None:
            whens.append(When(purchased_on__gte=today - timedelta(days=band.last_day), then=Value(band.key)))
    # A purchase date in the future (a typo, or bought ahead) falls in the first band
    # (purchased_on >= today - 30); whatever is older than every band is "90+".
    return Case(*whens, default=Value("90+"))


def _stock_figures(location: Location, today: date) -> tuple[list[PhaseCount], list[AgeingCount]]:
    """Stock by phase and by age, both from one grouped query (at most phases × bands rows)."""
    rows = (
        with_cost_totals(Car.objects.filter(location=location, phase__in=STOCK_PHASES))
        .annotate(age_band=_ageing_band_expression(today))
        .order_by()
        .values("phase", "age_band")
        .annotate(n=Count("id"), value=Coalesce(Sum("total_cost"), ZERO))
    )
    by_phase: dict[str, tuple[int, Decimal]] = {}
    by_band: dict[str, tuple[int, Decimal]] = {}
    for row in rows:
        for totals, key in ((by_phase, row["phase"]), (by_band, row["age_band"])):
            count, value = totals.get(key, (0, Decimal("0")))
            totals[key] = (count + row["n"], value + row["value"])
    stock_by_phase = [PhaseCount(Phase(p), *by_phase.get(p, (0, Decimal("0")))) for p in STOCK_PHASES]
    ageing = [AgeingCount(band, *by_band.get(band.key, (0, Decimal("0")))) for band in AGEING_BANDS]
    return stock_by_phase, ageing


def month_starts(today: date, count: int = MONTHS_OF_SALES) -> list[date]:
    """The first days of the last `count` months, oldest first, this month last."""
    year, month = today.year, today.month
    starts = []
    for _ in range(count):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _monthly_sales(location: Location, today: date) -> list[MonthOfSales]:
    months = month_starts(today)
    rows = (
        Sale.objects.filter(location=location, sold_on__gte=months[0], sold_on__lte=today)
        .annotate(month=TruncMonth("sold_on"))
        .order_by()
        .values("month")
        .annotate(
            n=Count("id"),
            revenue=Sum("price"),
            profit=Sum(F("price") - F("cost_at_sale")),
            on_finance=Count("id", filter=Q(payment=Payment.FINANCE)),
        )
    )
    found = {row["month"]: row for row in rows}
    return [
        MonthOfSales(
            month=start,
            sales=found[start]["n"] if start in found else 0,
            revenue=found[start]["revenue"] if start in found else Decimal("0"),
            gross_profit=found[start]["profit"] if start in found else Decimal("0"),
            on_finance=found[start]["on_finance"] if start in found else 0,
        )
        for start in months
    ]


def _open_moves(location: Location) -> tuple[list[Transfer], list[Transfer], list[Transfer]]:
    transfers = (
        Transfer.objects.filter(Q(from_location=location) | Q(to_location=location))
        .filter(status__in=[Transfer.Status.APPROVED, Transfer.Status.DISPATCHED])
        .select_related("car", "from_location", "to_location")
        .order_by("planned_on", "id")
    )
    incoming, outgoing, awaiting = [], [], []
    for transfer in transfers:
        if transfer.status == Transfer.Status.APPROVED:
            awaiting.append(transfer)
        elif transfer.to_location_id == location.pk:
            incoming.append(transfer)
        else:
            outgoing.append(transfer)
    return incoming, outgoing, awaiting


def location_figures(*, location: Location, today: date | None = None) -> LocationFigures:
    """Everything on a location's inventory page, in three queries whatever its size.

    `location` must come from `location_get`, which scopes it to the user."""
    today = today or location_today(location)
    stock_by_phase, ageing = _stock_figures(location, today)
    incoming, outgoing, awaiting = _open_moves(location)
    return LocationFigures(
        location=location,
        as_of=today,
        stock_by_phase=stock_by_phase,
        ageing=ageing,
        incoming=incoming,
        outgoing=outgoing,
        awaiting_dispatch=awaiting,
        months=_monthly_sales(location, today),
    )
