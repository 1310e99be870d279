"""Reads of finance, filtered to the locations the user may see (scoping lives here)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.finance.models import OPEN, WITH_LENDER, FinanceApplication, Lender, Status
from ifixit.inventory.models import Payment, Sale
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to

ZERO = Decimal("0")


def applications_visible_to(user: User) -> QuerySet[FinanceApplication]:
    if not user.is_authenticated or not user.is_active or not user.has_perm("finance.view_financeapplication"):
        return FinanceApplication.objects.none()
    if user.is_group_wide:
        return FinanceApplication.objects.all()
    return FinanceApplication.objects.filter(location__staff=user)


def lenders(*, include_inactive: bool = False) -> QuerySet[Lender]:
    """Lenders are the group's, seen by everyone who handles finance."""
    found = Lender.objects.all() if include_inactive else Lender.objects.filter(is_active=True)
    return found.order_by("name")


def lender_list(*, user: User) -> QuerySet[Lender]:
    """Every lender with the user's locations' open and funded applications counted, in one query."""
    mine = Q() if user.is_group_wide else Q(applications__location__staff=user)
    return Lender.objects.annotate(
        open_count=Count("applications", filter=mine & Q(applications__status__in=OPEN), distinct=True),
        funded_count=Count("applications", filter=mine & Q(applications__status=Status.FUNDED), distinct=True),
    ).order_by("-is_active", "name")


@dataclass(frozen=True)
class ApplicationFilters:
    status: str = ""  # a Status, "open", or "" for all
    lender: int | None = None
    location: int | None = None
    waiting: bool = False  # only those waiting longer than their lender usually takes
    q: str = ""


def application_list(*, user: User, filters: ApplicationFilters = ApplicationFilters()) -> QuerySet[FinanceApplication]:
    found = applications_visible_to(user).select_related("customer", "car", "lender", "location", "salesperson")
    if filters.status == "open":
        found = found.filter(status__in=OPEN)
    elif filters.status:
        found = found.filter(status=filters.status)
    if filters.lender:
        found = found.filter(lender_id=filters.lender)
    if filters.location:
        found = found.filter(location_id=filters.location)
    if filters.waiting:
        found = found.filter(status__in=WITH_LENDER, waiting_due_at__lt=timezone.now())
    if filters.q:
        q = filters.q.strip()
        plate = q.replace(" ", "").upper()
        found = found.filter(
            Q(customer__name__icontains=q) | Q(car__registration__icontains=plate) | Q(car__vin__icontains=plate)
            | Q(lender_reference__icontains=q) | Q(car__make__icontains=q) | Q(car__model__icontains=q)
        )
    if filters.waiting:
        return found.order_by("waiting_due_at", "id")
    return found.order_by("-status_changed_at", "-id")


def application_get(*, user: User, pk: int) -> FinanceApplication:
    return (
        applications_visible_to(user)
        .select_related("customer", "car", "car__location", "lender", "location", "salesperson", "created_by")
        .prefetch_related("events__by")
        .get(pk=pk)
    )


def applications_for_car(*, user: User, car_id: int) -> QuerySet[FinanceApplication]:
    return applications_visible_to(user).filter(car_id=car_id).select_related("lender", "customer").order_by("-created_at", "-id")


def car_funded(*, car_id: int) -> bool:
    """Whether the lender has paid out for this car: one of its applications is funded (at most
    one can be). Not scoped: it says whether a sale may be handed over, whoever asks."""
    return FinanceApplication.objects.filter(car_id=car_id, status=Status.FUNDED).exists()


def funded_among(applications) -> bool:
    """car_funded, from the car's applications already read (the car's page), without a query."""
    return any(application.status == Status.FUNDED for application in applications)


def car_finance_open(*, car_id: int) -> bool:
    """An application for this car is still being worked (OPEN): the deal is in progress."""
    return FinanceApplication.objects.filter(car_id=car_id, status__in=OPEN).exists()


def applications_for_customer(*, user: User, customer_id: int) -> QuerySet[FinanceApplication]:
    return applications_visible_to(user).filter(customer_id=customer_id).select_related("lender", "car").order_by("-created_at")


# --- Figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FinanceShare:
    """Sales in a month or at a location, and how many of them were on finance."""

    label: str
    sales: int
    on_finance: int
    with_part_exchange: int
    revenue: Decimal
    finance_revenue: Decimal
    key: object = None

    @property
    def share(self) -> float | None:
        return self.on_finance / self.sales if self.sales else None


@dataclass(frozen=True)
class LenderFigures:
    lender: Lender
    submitted: int
    approved: int
    declined: int
    median_decision: timedelta | None
    funded: int
    funded_amount: Decimal

    @property
    def decided(self) -> int:
        return self.approved + self.declined

    @property
    def approval_rate(self) -> float | None:
        return self.approved / self.decided if self.decided else None

    @property
    def median_decision_hours(self) -> float | None:
        return None if self.median_decision is None else self.median_decision.total_seconds() / 3600


@dataclass(frozen=True)
class FinanceFigures:
    start: date
    end: date
    months: list[FinanceShare]
    locations: list[FinanceShare]
    lenders: list[LenderFigures]

    @property
    def sales(self) -> int:
        return sum(m.sales for m in self.months)

    @property
    def on_finance(self) -> int:
        return sum(m.on_finance for m in self.months)

    @property
    def share(self) -> float | None:
        return self.on_finance / self.sales if self.sales else None

    @property
    def funded_amount(self) -> Decimal:
        return sum((row.funded_amount for row in self.lenders), ZERO)

    @property
    def funded(self) -> int:
        return sum(row.funded for row in self.lenders)


def _month_starts(start: date, end: date) -> list[date]:
    months, current = [], date(start.year, start.month, 1)
    while current <= end:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _share_counts():
    return {
        "sales": Count("id"),
        "on_finance": Count("id", filter=Q(payment=Payment.FINANCE)),
        "with_part_exchange": Count("id", filter=Q(part_exchange_allowance__gt=0)),
        "revenue": Coalesce(Sum("price"), ZERO),
        "finance_revenue": Coalesce(Sum("price", filter=Q(payment=Payment.FINANCE)), ZERO),
    }


def finance_figures(
    *, user: User, start: date, end: date, location_id: int | None = None, location_ids: list[int] | None = None
) -> FinanceFigures:
    """Share of sales on finance by month and location, and each lender's approval
    rate, median decision time and funded amount, over [start, end] and the locations
    the user may see. Four grouped queries whatever the volume."""
    locations = locations_visible_to(user)
    if location_id:
        locations = locations.filter(pk=location_id)
    if location_ids is not None:
        locations = locations.filter(pk__in=location_ids)
    sales = Sale.objects.filter(location__in=locations, sold_on__gte=start, sold_on__lte=end).order_by()

    by_month = {row["month"]: row for row in sales.annotate(month=TruncMonth("sold_on")).values("month").annotate(**_share_counts())}
    months = []
    for month in _month_starts(start, end):
        row = by_month.get(month, {})
        months.append(
            FinanceShare(
                label=f"{month:%b %Y}",
                key=month,
                sales=row.get("sales", 0),
                on_finance=row.get("on_finance", 0),
                with_part_exchange=row.get("with_part_exchange", 0),
                revenue=row.get("revenue", ZERO),
                finance_revenue=row.get("finance_revenue", ZERO),
            )
        )
    names = dict(locations.values_list("pk", "name"))
    by_location = [
        FinanceShare(label=names[row["location"]], key=row["location"], **{k: row[k] for k in _share_counts()})
        for row in sales.values("location").annotate(**_share_counts()).order_by("location")
    ]
    by_location.sort(key=lambda row: row.label)

    applications = applications_visible_to(user)
    if location_id:
        applications = applications.filter(location_id=location_id)
    if location_ids is not None:
        applications = applications.filter(location_id__in=location_ids)
    window = Q(decided_at__date__gte=start, decided_at__date__lte=end)
    counted = {
        row["lender"]: row
        for row in applications.order_by()
        .values("lender")
        .annotate(
            submitted=Count("id", filter=Q(submitted_at__date__gte=start, submitted_at__date__lte=end)),
            approved=Count("id", filter=window & Q(decision=Status.APPROVED)),
            declined=Count("id", filter=window & Q(decision=Status.DECLINED)),
            funded=Count("id", filter=Q(status=Status.FUNDED, funded_at__date__gte=start, funded_at__date__lte=end)),
            funded_amount=Coalesce(
                Sum("amount_financed", filter=Q(status=Status.FUNDED, funded_at__date__gte=start, funded_at__date__lte=end)),
                ZERO,
            ),
        )
    }
    waits: dict[int, list[timedelta]] = {}
    for lender_id, submitted_at, decided_at in applications.filter(window, submitted_at__isnull=False).values_list(
        "lender", "submitted_at", "decided_at"
    ):
        waits.setdefault(lender_id, []).append(decided_at - submitted_at)
    lender_rows = []
    for lender in Lender.objects.filter(pk__in=counted.keys()).order_by("name"):
        row = counted[lender.pk]
        if not (row["submitted"] or row["approved"] or row["declined"] or row["funded"]):
            continue
        lender_rows.append(
            LenderFigures(
                lender=lender,
                submitted=row["submitted"],
                approved=row["approved"],
                declined=row["declined"],
                median_decision=median(waits[lender.pk]) if waits.get(lender.pk) else None,
                funded=row["funded"],
                funded_amount=row["funded_amount"],
            )
        )
    return FinanceFigures(start=start, end=end, months=months, locations=by_location, lenders=lender_rows)


def visible_locations(user: User) -> QuerySet[Location]:
    return locations_visible_to(user).order_by("name")
