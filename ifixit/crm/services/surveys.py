"""Satisfaction surveys: how long after a sale a location sends them, scheduling one per
sale, inviting the customer (by email, else SMS) through the communication log, and taking
their answer once, telling the managers of a low score."""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.crm import selectors
from ifixit.crm.models import Communication, Survey
from ifixit.crm.services.access import _location_for_settings, _require
from ifixit.crm.services.communications import _queue_send
from ifixit.crm.services.survey_links import SURVEY_LINK, survey_token
from ifixit.inventory.models import Sale
from ifixit.jobs import outbox
from ifixit.locations.models import Location
from ifixit.notifications.services import notify
from ifixit.phones import is_mobile



@transaction.atomic
def location_set_survey_delay(*, user: User, location_id: int, days: int | None) -> Location:
    _require(user, "crm.change_followuprule")
    location = _location_for_settings(user, location_id)
    if days is not None and not 0 <= days <= 90:
        raise ValidationError(
            {"survey_after_days": "Send the survey between 0 and 90 days after the sale, or leave it empty for none."}
        )
    location.survey_after_days = days
    location.save(update_fields=["survey_after_days"])
    return location


def survey_schedule(*, sale: Sale) -> Survey | None:
    """Schedule the satisfaction survey of a sale, if its location sends them and the
    customer can be reached. One per sale (OneToOne)."""
    days = sale.location.survey_after_days
    if days is None or sale.customer_id is None:
        return None
    survey, created = Survey.objects.get_or_create(
        sale=sale,
        defaults={
            "customer_id": sale.customer_id,
            "location_id": sale.location_id,
            "salesperson": sale.sold_by,
            "send_on": sale.sold_on + datetime.timedelta(days=days),
        },
    )
    if created and survey.send_on <= timezone.localdate():
        from ifixit.crm.tasks import send_survey

        outbox.enqueue(send_survey, [survey.pk], about=f"crm.survey:{survey.pk}")
    return survey


def surveys_due(*, today: datetime.date | None = None) -> list[int]:
    today = today or timezone.localdate()
    return list(Survey.objects.filter(status=Survey.Status.SCHEDULED, send_on__lte=today).values_list("pk", flat=True))


@transaction.atomic
def survey_send(*, survey_id: int) -> Survey | None:
    """Invite the customer to answer, by email if they have one, else by SMS. The
    status change is the claim: a second run finds it sent and does nothing. The
    invitation is an ordinary entry of their communication log, sent like any other."""
    now = timezone.now()
    claimed = Survey.objects.filter(pk=survey_id, status=Survey.Status.SCHEDULED).update(
        status=Survey.Status.SENT,
        sent_at=now,
        expires_at=now + datetime.timedelta(days=settings.CRM_SURVEY_VALID_DAYS),
        token_nonce=secrets.token_hex(16),
    )
    if not claimed:
        return None
    survey = Survey.objects.select_related("customer", "sale__car", "location").get(pk=survey_id)
    survey.token_hash = Survey.hash_token(survey_token(survey))
    survey.save(update_fields=["token_hash"])
    customer = survey.customer
    car = survey.sale.car
    if customer.email:
        channel, address = Communication.Channel.EMAIL, customer.email
        body = render_to_string(
            "crm/survey_invitation.txt",
            {"survey": survey, "car": car, "link": SURVEY_LINK, "valid_days": settings.CRM_SURVEY_VALID_DAYS},
        )
    elif customer.phone and is_mobile(customer.phone):
        channel, address = Communication.Channel.SMS, customer.phone
        body = f"Thank you for buying your {car.make} {car.model} from {survey.location.name}. How did we do? Two questions: {SURVEY_LINK}"
    else:
        Survey.objects.filter(pk=survey_id).update(status=Survey.Status.NO_CONTACT, token_hash=None, token_nonce="")
        return survey
    survey.invitation = Communication.objects.create(
        customer=customer,
        location=survey.location,
        car=car,
        channel=channel,
        direction=Communication.Direction.OUTBOUND,
        purpose=Communication.Purpose.SERVICE,
        subject=f"How was buying your {car.make} {car.model}?",
        body=body,
        address=address,
        status=Communication.Status.QUEUED,
        occurred_at=now,
    )
    survey.save(update_fields=["invitation"])
    _queue_send(survey.invitation.pk)
    return survey


class SurveyClosed(Exception):
    """The link cannot take an answer; `reason` is one of unknown, answered, expired."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def survey_for_token(token: str) -> Survey:
    """The open survey behind a link, or SurveyClosed saying why not."""
    survey = (
        Survey.objects.select_related("sale__car", "location").filter(token_hash=Survey.hash_token(token or "")).first()
    )
    if survey is None or survey.status not in (Survey.Status.SENT, Survey.Status.ANSWERED):
        raise SurveyClosed("unknown")
    if survey.status == Survey.Status.ANSWERED:
        raise SurveyClosed("answered")
    if survey.expires_at and survey.expires_at <= timezone.now():
        raise SurveyClosed("expired")
    return survey


def survey_answer(*, token: str, recommend_score: int, satisfaction: int, comment: str = "") -> Survey:
    """Take the customer's answer, once. The conditional update is the claim, so a
    double-click or a second tab writes nothing; a low score tells the managers."""
    errors = {}
    if not isinstance(recommend_score, int) or not 0 <= recommend_score <= 10:
        errors["recommend_score"] = "Choose a number from 0 to 10."
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        errors["satisfaction"] = "Choose from 1 to 5."
    if len(comment or "") > 2000:
        errors["comment"] = "Keep the comment under 2,000 characters."
    survey = survey_for_token(token)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        claimed = Survey.objects.filter(pk=survey.pk, status=Survey.Status.SENT, expires_at__gt=now).update(
            status=Survey.Status.ANSWERED,
            answered_at=now,
            recommend_score=recommend_score,
            satisfaction=satisfaction,
            comment=(comment or "").strip(),
        )
        if not claimed:
            raise SurveyClosed("answered")
        survey.refresh_from_db()
        if recommend_score <= selectors.LOW_RECOMMEND or satisfaction <= selectors.LOW_SATISFACTION:
            _tell_managers_of_low_score(survey)
    return survey


def _tell_managers_of_low_score(survey: Survey) -> None:
    car = survey.sale.car
    managers = User.objects.filter(is_active=True, role=roles.MANAGER, locations=survey.location_id)
    for manager in managers:
        notify(
            recipient=manager,
            kind="low_satisfaction",
            title=f"Low score from {survey.customer.name}: {survey.recommend_score}/10, satisfaction {survey.satisfaction}/5",
            body=f"{car.year} {car.make} {car.model} ({car.registration_display}). {survey.comment}".strip(),
            link=reverse("survey_detail", args=[survey.pk]),
            location=survey.location,
            dedupe_key=f"survey-low:{survey.pk}",
        )
