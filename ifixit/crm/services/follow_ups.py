"""Follow-ups: reminders to get back to a customer by a time, made by hand or by a
location's rules after each sale; done, snoozed or cancelled while open; and the reminder
sent to the assignee once per due time."""

import datetime
import logging
import zoneinfo

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.crm import selectors
from ifixit.crm.models import FollowUp, FollowUpRule
from ifixit.crm.services.access import _customer_car, _location_for_settings, _locked_customer, _require
from ifixit.inventory.models import Sale
from ifixit.locations.models import Location
from ifixit.notifications.services import notify

log = logging.getLogger(__name__)

FOLLOW_UP_HOUR = datetime.time(10, 0)  # automatic follow-ups fall due at ten, local time


@transaction.atomic
def follow_up_create(
    *,
    user: User,
    customer_id: int,
    due_at: datetime.datetime,
    assignee_id: int,
    note: str = "",
    car_id: int | None = None,
) -> FollowUp:
    _require(user, "crm.add_followup")
    customer = _locked_customer(user, customer_id)
    car = _customer_car(customer, car_id)
    # Filed at the customer's location the user works at (not the car's sale site), so
    # the creator, and the staff the form offers, can always see and act on it.
    location = selectors.follow_up_location(user=user, customer=customer)
    errors = {}
    if due_at < timezone.now() - datetime.timedelta(minutes=5):
        errors["due_at"] = "The follow-up cannot be due in the past."
    if due_at > timezone.now() + datetime.timedelta(days=3 * 366):
        errors["due_at"] = "Set a due date within three years."
    assignee = selectors.assignable_staff(location=location).filter(pk=assignee_id).first() if assignee_id else None
    if assignee is None:
        errors["assignee"] = (
            f"Choose someone who works with customers at {location.name if location else 'their location'}."
        )
    if errors:
        raise ValidationError(errors)
    return FollowUp.objects.create(
        customer=customer,
        location=location,
        car=car,
        assignee=assignee,
        due_at=due_at,
        note=note.strip(),
        created_by=user,
    )


def _locked_follow_up(user: User, follow_up_id: int) -> FollowUp:
    try:
        return selectors.follow_ups_visible_to(user).select_for_update().get(pk=follow_up_id)
    except FollowUp.DoesNotExist:
        raise FollowUp.DoesNotExist(f"No follow-up {follow_up_id} that you may see.") from None


def _expect_open(follow_up: FollowUp, action: str) -> None:
    if follow_up.status != FollowUp.Status.OPEN:
        raise ValidationError(
            {
                "status": ValidationError(
                    f"This follow-up is {follow_up.get_status_display().lower()}, so it cannot be {action}.",
                    code="conflict",
                )
            }
        )


@transaction.atomic
def follow_up_complete(*, user: User, follow_up_id: int, outcome: str, note: str = "") -> FollowUp:
    _require(user, "crm.change_followup")
    follow_up = _locked_follow_up(user, follow_up_id)
    _expect_open(follow_up, "marked done")
    if outcome not in FollowUp.Outcome.values:
        raise ValidationError({"outcome": "Say how it went."})
    follow_up.status = FollowUp.Status.DONE
    follow_up.outcome = outcome
    follow_up.outcome_note = note.strip()
    follow_up.done_at = timezone.now()
    follow_up.done_by = user
    follow_up.save(update_fields=["status", "outcome", "outcome_note", "done_at", "done_by"])
    return follow_up


@transaction.atomic
def follow_up_snooze(*, user: User, follow_up_id: int, until: datetime.datetime) -> FollowUp:
    _require(user, "crm.change_followup")
    follow_up = _locked_follow_up(user, follow_up_id)
    _expect_open(follow_up, "snoozed")
    if until <= timezone.now():
        raise ValidationError({"until": "Snooze to a time in the future."})
    if until > timezone.now() + datetime.timedelta(days=366):
        raise ValidationError({"until": "Snooze for at most a year."})
    follow_up.due_at = until
    follow_up.save(update_fields=["due_at"])
    return follow_up


@transaction.atomic
def follow_up_cancel(*, user: User, follow_up_id: int, note: str = "") -> FollowUp:
    _require(user, "crm.change_followup")
    follow_up = _locked_follow_up(user, follow_up_id)
    _expect_open(follow_up, "cancelled")
    follow_up.status = FollowUp.Status.CANCELLED
    follow_up.outcome_note = note.strip()
    follow_up.done_at = timezone.now()  # when it was closed, done or not: the timeline places it there
    follow_up.done_by = user
    follow_up.save(update_fields=["status", "outcome_note", "done_at", "done_by"])
    return follow_up


def follow_ups_remind_due(*, now: datetime.datetime | None = None) -> int:
    """Remind each assignee of their follow-ups that have fallen due, once per due time:
    the conditional update on reminded_for is the claim (a duplicate beat reminds no one
    twice), and a snoozed follow-up reminds again at its new time."""
    now = now or timezone.now()
    due = FollowUp.objects.filter(status=FollowUp.Status.OPEN, due_at__lte=now).exclude(reminded_for=F("due_at"))
    reminded = 0
    for follow_up in due.select_related("customer", "assignee", "location", "car").order_by("due_at")[:1000]:
        with transaction.atomic():
            claimed = (
                FollowUp.objects.filter(pk=follow_up.pk, status=FollowUp.Status.OPEN, due_at=follow_up.due_at)
                .exclude(reminded_for=F("due_at"))
                .update(reminded_for=F("due_at"))
            )
            if not claimed:
                continue
            recipients = [follow_up.assignee]
            if not follow_up.assignee.is_active:  # left the business: their managers pick it up
                recipients = list(
                    User.objects.filter(is_active=True, role=roles.MANAGER, locations=follow_up.location_id)
                )
            what = follow_up.note.splitlines()[0][:80] if follow_up.note else "get back to them"
            for recipient in recipients:
                notify(
                    recipient=recipient,
                    kind="follow_up_due",
                    title=f"Follow up {follow_up.customer.name}: {what}",
                    body=follow_up.note,
                    link=reverse("customer_detail", args=[follow_up.customer_id]),
                    location=follow_up.location,
                    dedupe_key=f"follow-up:{follow_up.pk}:{follow_up.due_at.isoformat()}",
                )
            reminded += 1
    return reminded


def _rule_due_at(rule: FollowUpRule, sold_on: datetime.date, location: Location) -> datetime.datetime:
    day = sold_on + relativedelta(months=rule.months_after_sale, days=rule.days_after_sale)
    return datetime.datetime.combine(day, FOLLOW_UP_HOUR, tzinfo=zoneinfo.ZoneInfo(location.time_zone))


def _rule_assignee(rule: FollowUpRule, sale: Sale, managers: dict[int, User]) -> User | None:
    seller = sale.sold_by
    seller_ok = seller is not None and seller.is_active
    if rule.assign_to == FollowUpRule.AssignTo.SELLER and seller_ok:
        return seller
    return managers.get(sale.location_id) or (seller if seller_ok else None)


def follow_ups_from_rules(*, sales: list[Sale], rules: list[FollowUpRule] | None = None) -> None:
    """Make each active rule's follow-up for each sale (with a customer) that lacks it.
    The unique (rule, sale) constraint makes a second application a no-op."""
    location_ids = {sale.location_id for sale in sales}
    if rules is None:
        rules = list(
            FollowUpRule.objects.filter(location_id__in=location_ids, is_active=True).select_related("location")
        )
    if not rules:
        return
    managers: dict[int, User] = {}
    for membership in (
        User.locations.through.objects.filter(
            location_id__in=location_ids, user__is_active=True, user__role=roles.MANAGER
        )
        .select_related("user")
        .order_by("user_id")
    ):
        managers.setdefault(membership.location_id, membership.user)
    made = []
    for sale in sales:
        if sale.customer_id is None:
            continue
        for rule in rules:
            if rule.location_id != sale.location_id:
                continue
            assignee = _rule_assignee(rule, sale, managers)
            if assignee is None:
                log.warning("rule %s: nobody to follow up sale %s", rule.pk, sale.pk)
                continue
            made.append(
                FollowUp(
                    customer_id=sale.customer_id,
                    location_id=sale.location_id,
                    car_id=sale.car_id,
                    sale=sale,
                    rule=rule,
                    assignee=assignee,
                    due_at=_rule_due_at(rule, sale.sold_on, rule.location),
                    note=rule.note or rule.name,
                )
            )
    FollowUp.objects.bulk_create(made, ignore_conflicts=True)


RULE_FIELDS = ["name", "months_after_sale", "days_after_sale", "note", "assign_to", "is_active"]


@transaction.atomic
def follow_up_rule_save(*, user: User, location_id: int, rule_id: int | None = None, **fields) -> FollowUpRule:
    """Add or change a location's automatic follow-up. A new or re-activated rule also
    covers the location's past sales whose follow-up would still lie in the future."""
    _require(user, "crm.change_followuprule")
    location = _location_for_settings(user, location_id)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in sorted(unknown)})
    if rule_id:
        rule = FollowUpRule.objects.select_for_update().filter(location=location, pk=rule_id).first()
        if rule is None:
            raise FollowUpRule.DoesNotExist(f"No rule {rule_id} at {location}.")
    else:
        rule = FollowUpRule(location=location)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.name = (rule.name or "").strip()
    if not rule.months_after_sale and not rule.days_after_sale:
        raise ValidationError({"days_after_sale": "Set how long after the sale: at least one day."})
    rule.full_clean()
    rule.save()
    if rule.is_active:
        earliest = timezone.localdate() - relativedelta(months=rule.months_after_sale, days=rule.days_after_sale)
        recent = list(
            Sale.objects.filter(location=location, customer__isnull=False, sold_on__gte=earliest).select_related(
                "sold_by"
            )
        )
        follow_ups_from_rules(sales=recent, rules=[rule])
    return rule


@transaction.atomic
def follow_up_rule_delete(*, user: User, location_id: int, rule_id: int) -> None:
    """Delete a rule; the follow-ups it made stay (they are someone's job now)."""
    _require(user, "crm.change_followuprule")
    location = _location_for_settings(user, location_id)
    deleted, _ = FollowUpRule.objects.filter(location=location, pk=rule_id).delete()
    if not deleted:
        raise FollowUpRule.DoesNotExist(f"No rule {rule_id} at {location}.")
