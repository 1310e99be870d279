"""Reads of customers and their history, always scoped to the locations the user may see.

A customer belongs to the locations where they bought or were served; a user sees a
customer if they may see any of those. Scoping lives here, once: pages and the API
both start from `customers_visible_to`.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.crm.models import Communication, Customer, FollowUp, Survey
from ifixit.inventory.models import RepairItem, Sale
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to

# A survey answer at or below either of these is a complaint the manager hears about.
LOW_RECOMMEND = 6
LOW_SATISFACTION = 2


def _at_visible_location(user: User, customer_ref: str = "pk") -> Exists:
    return Exists(
        Customer.locations.through.objects.filter(customer_id=OuterRef(customer_ref), location__in=locations_visible_to(user))
    )


def customers_visible_to(user: User, *, include_merged: bool = False) -> QuerySet[Customer]:
    if not user.is_authenticated or not user.is_active or not user.has_perm("crm.view_customer"):
        return Customer.objects.none()
    customers = Customer.objects.all() if include_merged else Customer.objects.filter(merged_into__isnull=True)
    if user.is_group_wide:
        return customers
    # Exists, not a join: a customer of two visible locations is still one row.
    return customers.filter(_at_visible_location(user))


def customer_get(*, user: User, pk: int) -> Customer:
    """A visible customer, merged records included (the page sends those on to the survivor)."""
    return customers_visible_to(user, include_merged=True).prefetch_related("tags", "locations").get(pk=pk)


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    tag: str = ""
    location: int | None = None
    repeat_only: bool = False
    marketing: str = ""  # "email" or "sms": only those who consented to it


def customer_list(*, user: User, filters: CustomerFilters) -> QuerySet[Customer]:
    purchases = Sale.objects.filter(customer=OuterRef("pk")).order_by().values("customer").annotate(n=Count("pk")).values("n")
    last_contact = (
        Communication.objects.filter(customer=OuterRef("pk")).order_by().values("customer").annotate(m=Max("occurred_at")).values("m")
    )
    customers = (
        customers_visible_to(user)
        .annotate(purchase_count=Subquery(purchases), last_contact_at=Subquery(last_contact))
        .prefetch_related("tags", "locations")
    )
    if filters.q:
        q = filters.q.strip()
        match = Q(name__icontains=q) | Q(contact_name__icontains=q) | Q(email__icontains=q.lower()) | Q(postcode__icontains=q)
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) >= 4:
            # Numbers are stored as +44...; "07911 123456" should still find +447911123456.
            match |= Q(phone__contains=digits.lstrip("0"))
        customers = customers.filter(match)
    if filters.tag:
        customers = customers.filter(tags__name__iexact=filters.tag)
    if filters.location:
        customers = customers.filter(Exists(Customer.locations.through.objects.filter(customer_id=OuterRef("pk"), location_id=filters.location)))
    if filters.repeat_only:
        customers = customers.filter(purchase_count__gte=2)
    if filters.marketing == "email":
        customers = customers.filter(email_marketing=True).exclude(email="")
    elif filters.marketing == "sms":
        customers = customers.filter(sms_marketing=True).exclude(phone="")
    return customers.order_by("name", "id")


def customer_duplicates(*, email: str, phone: str, exclude_pk: int | None = None) -> QuerySet[Customer]:
    """Every live record with this email or phone, in any location: one person is one
    record across the group. Callers decide what of them the user may see."""
    match = Q()
    if email:
        match |= Q(email=email)
    if phone:
        match |= Q(phone=phone)
    if not match:
        return Customer.objects.none()
    found = Customer.objects.filter(match, merged_into__isnull=True).prefetch_related("locations")
    if exclude_pk:
        found = found.exclude(pk=exclude_pk)
    return found.order_by("pk")


# --- Timeline ----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "purchase", "communication", "follow_up", "survey"
    at: datetime.datetime
    item: object


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


TIMELINE_MESSAGES = 300  # the latest log entries on the page; the API pages through them all


def customer_timeline(*, customer: Customer) -> list[TimelineEntry]:
    """Everything bought, said, owed and answered, newest first: one query per kind,
    whatever the customer's history (a trade customer's log is capped at the latest entries)."""
    purchases = Sale.objects.filter(customer=customer).select_related("car", "location", "sold_by")
    communications = customer.communications.select_related("user", "car", "location")[:TIMELINE_MESSAGES]
    follow_ups = customer.follow_ups.select_related("assignee", "car", "done_by")
    surveys = customer.surveys.filter(status=Survey.Status.ANSWERED).select_related("sale__car", "location", "salesperson")
    entries = [TimelineEntry("purchase", _start_of(sale.sold_on), sale) for sale in purchases]
    entries += [TimelineEntry("communication", c.occurred_at, c) for c in communications]
    entries += [TimelineEntry("follow_up", f.done_at or f.due_at, f) for f in follow_ups]
    entries += [TimelineEntry("survey", s.answered_at, s) for s in surveys]
    return sorted(entries, key=lambda e: e.at, reverse=True)


def customer_purchases(*, customer: Customer) -> QuerySet[Sale]:
    return Sale.objects.filter(customer=customer).select_related("car", "location", "sold_by").order_by("-sold_on", "-id")


def customer_cars(*, customer: Customer):
    """The cars this customer bought from the group (what service messages may be about)."""
    from ifixit.inventory.models import Car

    return Car.objects.filter(sale__customer=customer).order_by("-sale__sold_on")


# --- Follow-ups --------------------------------------------------------------------


def follow_ups_visible_to(user: User) -> QuerySet[FollowUp]:
    if not user.is_authenticated or not user.is_active or not user.has_perm("crm.view_followup"):
        return FollowUp.objects.none()
    follow_ups = FollowUp.objects.filter(customer__merged_into__isnull=True)
    if user.is_group_wide:
        return follow_ups
    return follow_ups.filter(location__in=locations_visible_to(user))


def follow_up_list(
    *, user: User, assignee: User | None = None, status: str = FollowUp.Status.OPEN, location_id: int | None = None
) -> QuerySet[FollowUp]:
    follow_ups = follow_ups_visible_to(user).select_related("customer", "assignee", "car", "location")
    if assignee is not None:
        follow_ups = follow_ups.filter(assignee=assignee)
    if status:
        follow_ups = follow_ups.filter(status=status)
    if location_id:
        follow_ups = follow_ups.filter(location_id=location_id)
    return follow_ups.order_by("due_at", "id") if status == FollowUp.Status.OPEN else follow_ups.order_by("-due_at", "-id")


def assignable_staff(*, location: Location | None) -> QuerySet[User]:
    """Who may be given a follow-up filed at this location: active staff who deal with
    customers and can see it (its own staff, or group-wide), so they can act on it."""
    if location is None:
        return User.objects.none()
    return (
        User.objects.filter(is_active=True)
        .filter(Q(locations=location) | Q(sees_all_locations=True) | Q(role="admin") | Q(is_superuser=True))
        .filter(Q(role__in=["manager", "sales", "admin"]) | Q(is_superuser=True))
        .distinct()
        .order_by("first_name", "username")
    )


def follow_up_location(*, user: User, customer: Customer, car=None) -> Location | None:
    """Where a follow-up for this customer is filed: the sale's location for a car they
    bought, else the first of the customer's locations that the user may see."""
    if car is not None and hasattr(car, "sale"):
        return car.sale.location
    return customer.locations.filter(pk__in=locations_visible_to(user)).order_by("name").first()


# --- Satisfaction ------------------------------------------------------------------


def surveys_visible_to(user: User) -> QuerySet[Survey]:
    if not user.is_authenticated or not user.is_active or not user.has_perm("crm.view_survey"):
        return Survey.objects.none()
    if user.is_group_wide:
        return Survey.objects.all()
    return Survey.objects.filter(location__in=locations_visible_to(user))


def survey_get(*, user: User, pk: int) -> Survey:
    return surveys_visible_to(user).select_related("sale__car", "customer", "location", "salesperson", "invitation").get(pk=pk)


def survey_repairs(*, survey: Survey) -> QuerySet[RepairItem]:
    """The work done on the car the answer is about: a complaint traced to its repairs."""
    return RepairItem.objects.filter(car_id=survey.sale.car_id).select_related("created_by").order_by("created_at", "id")


@dataclass(frozen=True)
class Score:
    """NPS and average satisfaction of one group of answers."""

    label: str
    answers: int
    promoters: int
    detractors: int
    average_satisfaction: Decimal | None
    key: object = None

    @property
    def nps(self) -> int | None:
        if not self.answers:
            return None
        return round(100 * (self.promoters - self.detractors) / self.answers)

    @property
    def passives(self) -> int:
        return self.answers - self.promoters - self.detractors


def _score_aggregates() -> dict:
    return {
        "answers": Count("pk"),
        "promoters": Count("pk", filter=Q(recommend_score__gte=9)),
        "detractors": Count("pk", filter=Q(recommend_score__lte=6)),
        "average_satisfaction": Avg("satisfaction"),
    }


def _score(label, row, key=None) -> Score:
    average = row["average_satisfaction"]
    return Score(
        label=label,
        key=key,
        answers=row["answers"],
        promoters=row["promoters"],
        detractors=row["detractors"],
        average_satisfaction=Decimal(str(round(average, 2))) if average is not None else None,
    )


@dataclass
class SatisfactionFigures:
    overall: Score
    by_location: list[Score] = field(default_factory=list)
    by_salesperson: list[Score] = field(default_factory=list)
    by_month: list[Score] = field(default_factory=list)
    low_scores: list[Survey] = field(default_factory=list)


def satisfaction_figures(
    *, user: User, location_id: int | None = None, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> SatisfactionFigures:
    """NPS (promoters 9-10 minus detractors 0-6, in % of answers) and average
    satisfaction (1-5), overall and by location, salesperson and month of answer.
    A fixed number of queries, grouped in the database."""
    answered = surveys_visible_to(user).filter(status=Survey.Status.ANSWERED)
    if location_id:
        answered = answered.filter(location_id=location_id)
    if date_from:
        answered = answered.filter(answered_at__date__gte=date_from)
    if date_to:
        answered = answered.filter(answered_at__date__lte=date_to)
    overall = _score("All answers", answered.aggregate(**_score_aggregates()))
    by_location = [
        _score(row["location__name"], row, row["location_id"])
        for row in answered.values("location_id", "location__name").annotate(**_score_aggregates()).order_by("location__name")
    ]
    by_salesperson = [
        _score(_person(row), row, row["salesperson_id"])
        for row in answered.values("salesperson_id", "salesperson__first_name", "salesperson__last_name", "salesperson__username")
        .annotate(**_score_aggregates())
        .order_by("salesperson__first_name", "salesperson__username")
    ]
    by_month = [
        _score(row["month"].strftime("%b %Y"), row, row["month"])
        for row in answered.annotate(month=TruncMonth("answered_at")).values("month").annotate(**_score_aggregates()).order_by("month")
    ]
    low = list(
        answered.filter(Q(recommend_score__lte=LOW_RECOMMEND) | Q(satisfaction__lte=LOW_SATISFACTION))
        .select_related("customer", "sale__car", "location", "salesperson")
        .annotate(repair_count=Count("sale__car__repair_items"))
        .order_by("-answered_at")[:20]
    )
    return SatisfactionFigures(overall=overall, by_location=by_location, by_salesperson=by_salesperson, by_month=by_month, low_scores=low)


def _person(row) -> str:
    if not row["salesperson_id"]:
        return "No salesperson recorded"
    full = f"{row['salesperson__first_name']} {row['salesperson__last_name']}".strip()
    return full or row["salesperson__username"]


def locations_for_crm(user: User) -> QuerySet[Location]:
    return locations_visible_to(user).filter(is_active=True)
