"""The application workflow: every allowed move succeeds and is recorded, every other
move is refused with a message and writes nothing."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ifixit.finance import services
from ifixit.finance.models import TRANSITIONS, ApplicationEvent, FinanceApplication, Status
from ifixit.inventory import services as inventory
from ifixit.inventory.models import Payment, Phase
from ifixit.testing.factories import CarFactory, CustomerFactory, FinanceApplicationFactory, LenderFactory

ALL_MOVES = list(itertools.product(Status.values, Status.values))
ALLOWED = [(a, b) for a, b in ALL_MOVES if b in TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in ALL_MOVES if b not in TRANSITIONS[a]]


def test_the_workflow_is_what_the_business_described():
    assert len(ALLOWED) == 14 and len(FORBIDDEN) == 50
    assert {b for a, b in ALLOWED if a == Status.SUBMITTED} == {"referred", "approved", "declined", "withdrawn"}
    assert TRANSITIONS[Status.FUNDED] == TRANSITIONS[Status.DECLINED] == TRANSITIONS[Status.WITHDRAWN] == ()


@pytest.fixture
def sold_on_finance(manager, north):
    """A car sold on finance to a customer, as every move (funding included) needs."""
    customer = CustomerFactory(locations=[north])
    car = CarFactory(location=north, phase=Phase.RESERVED)
    inventory.sale_record(
        user=manager, car_id=car.pk, sold_on=timezone.localdate(), price=Decimal("10000"),
        customer_id=customer.pk, payment=Payment.FINANCE,
    )
    return car, customer


def in_state(status, car, customer):
    return FinanceApplicationFactory(car=car, customer=customer, status=status, status_changed_at=timezone.now() - timedelta(hours=5))


@pytest.mark.parametrize("from_status,to_status", ALLOWED)
def test_every_allowed_move_is_made_and_recorded(from_status, to_status, manager, sold_on_finance):
    car, customer = sold_on_finance
    application = in_state(from_status, car, customer)
    moved = services.application_move(user=manager, application_id=application.pk, to_status=to_status, note="As agreed")
    application.refresh_from_db()
    assert application.status == to_status == moved.status
    assert timezone.now() - application.status_changed_at < timedelta(minutes=1)
    event = ApplicationEvent.objects.get(application=application)
    assert (event.from_status, event.to_status, event.note, event.by) == (from_status, to_status, "As agreed", manager)


@pytest.mark.parametrize("from_status,to_status", FORBIDDEN)
def test_every_forbidden_move_is_refused_and_writes_nothing(from_status, to_status, manager, sold_on_finance):
    car, customer = sold_on_finance
    application = in_state(from_status, car, customer)
    before = application.status_changed_at
    with pytest.raises(ValidationError) as caught:
        services.application_move(user=manager, application_id=application.pk, to_status=to_status, note="Try")
    assert "cannot become" in caught.value.message_dict["to_status"][0]
    application.refresh_from_db()
    assert (application.status, application.status_changed_at) == (from_status, before)
    assert not ApplicationEvent.objects.exists()


def test_an_unknown_state_is_refused(manager, sold_on_finance):
    application = in_state(Status.SUBMITTED, *sold_on_finance)
    with pytest.raises(ValidationError, match="Unknown state"):
        services.application_move(user=manager, application_id=application.pk, to_status="paid")


def test_a_second_funded_application_for_one_car_is_refused(manager, sold_on_finance):
    car, customer = sold_on_finance
    first = in_state(Status.CONTRACT_SIGNED, car, customer)
    services.application_move(user=manager, application_id=first.pk, to_status=Status.FUNDED)
    # A second signed contract for the same car (made before the first was funded).
    second = in_state(Status.CONTRACT_SIGNED, car, customer)
    with pytest.raises(ValidationError, match="already funded"):
        services.application_move(user=manager, application_id=second.pk, to_status=Status.FUNDED)
    second.refresh_from_db()
    assert second.status == Status.CONTRACT_SIGNED
    assert FinanceApplication.objects.filter(car=car, status=Status.FUNDED).count() == 1


def test_the_database_holds_one_funded_application_per_car_even_past_the_service(sold_on_finance):
    car, customer = sold_on_finance
    in_state(Status.FUNDED, car, customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        in_state(Status.FUNDED, car, customer)


def test_funding_withdraws_the_other_open_applications_for_the_car(manager, sold_on_finance):
    car, customer = sold_on_finance
    funded = in_state(Status.CONTRACT_SIGNED, car, customer)
    other = in_state(Status.SUBMITTED, car, customer)
    declined = in_state(Status.DECLINED, car, customer)
    services.application_move(user=manager, application_id=funded.pk, to_status=Status.FUNDED)
    other.refresh_from_db()
    declined.refresh_from_db()
    assert other.status == Status.WITHDRAWN and declined.status == Status.DECLINED
    assert "was funded" in other.events.get().note


def test_funding_needs_the_sale_recorded_on_finance(manager, north):
    customer = CustomerFactory(locations=[north])
    car = CarFactory(location=north, phase=Phase.RESERVED)
    application = FinanceApplicationFactory(car=car, customer=customer, status=Status.CONTRACT_SIGNED)
    with pytest.raises(ValidationError, match="Record the sale on finance first"):
        services.application_move(user=manager, application_id=application.pk, to_status=Status.FUNDED)


@pytest.mark.parametrize("to_status", [Status.DECLINED, Status.REFERRED, Status.WITHDRAWN])
def test_a_decline_a_referral_or_a_withdrawal_needs_a_note(to_status, manager, sold_on_finance):
    application = in_state(Status.SUBMITTED, *sold_on_finance)
    with pytest.raises(ValidationError) as caught:
        services.application_move(user=manager, application_id=application.pk, to_status=to_status, note="  ")
    assert "note" in caught.value.message_dict
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_the_lender_clock_starts_in_each_state_that_waits_on_the_lender(manager, sold_on_finance):
    lender = LenderFactory(typical_decision_hours=4)
    application = FinanceApplicationFactory(car=sold_on_finance[0], customer=sold_on_finance[1], lender=lender)
    services.application_move(user=manager, application_id=application.pk, to_status=Status.SUBMITTED)
    application.refresh_from_db()
    assert application.waiting_due_at - application.status_changed_at == timedelta(hours=4)
    assert application.submitted_at == application.status_changed_at
    services.application_move(user=manager, application_id=application.pk, to_status=Status.APPROVED)
    application.refresh_from_db()
    assert (application.decision, application.decided_at) == (Status.APPROVED, application.status_changed_at)
