"""Finance follows inventory's sales through inventory.events, inside the sale's transaction: a
cash sale withdraws the car's open applications, delivery waits for funding, a funded sale stays
on finance, a car with open finance stays where it is; a receiver that fails takes the sale with
it; an undone sale leaves every app's data as it was before the sale."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ifixit.analytics.models import SaleFact
from ifixit.analytics.warehouse import services as warehouse
from ifixit.crm.models import Communication, FollowUp, FollowUpRule, Survey
from ifixit.finance.models import ApplicationEvent, FinanceApplication, Status
from ifixit.inventory import events
from ifixit.inventory import services as inventory
from ifixit.inventory.models import Payment, Phase, Sale, Transfer
from ifixit.testing.factories import CarFactory, CustomerFactory, FinanceApplicationFactory

D = Decimal


@pytest.fixture
def customer(north):
    return CustomerFactory(name="Priya Shah", locations=[north])


@pytest.fixture
def reserved(north):
    return CarFactory(location=north, phase=Phase.RESERVED, asking_price=D("10000"))


def sell(user, car, customer, *, payment):
    return inventory.sale_record(
        user=user, car_id=car.pk, sold_on=timezone.localdate(), price=D("10000"), customer_id=customer.pk, payment=payment
    )


class Refusal(Exception):
    pass


@pytest.fixture
def failing_receiver():
    """A subscriber that breaks on the signal it is connected to, disconnected after the test."""
    connected = []

    def connect(signal):
        def receiver(sender, **kwargs):
            raise Refusal("the subscriber broke")

        signal.connect(receiver, weak=False, dispatch_uid="test.failing_receiver")
        connected.append(signal)

    yield connect
    for signal in connected:
        signal.disconnect(dispatch_uid="test.failing_receiver")


def test_it_rolls_the_whole_sale_back_when_a_receiver_fails(manager, reserved, customer, north, failing_receiver):
    FollowUpRule.objects.create(location=north, days_after_sale=3, note="How is the car?")
    application = FinanceApplicationFactory(car=reserved, customer=customer, status=Status.SUBMITTED)
    failing_receiver(events.sale_recorded)  # connected last: crm's and finance's receivers have run
    with pytest.raises(Refusal):
        sell(manager, reserved, customer, payment=Payment.CASH)
    reserved.refresh_from_db()
    application.refresh_from_db()
    assert not Sale.objects.exists() and reserved.phase == Phase.RESERVED
    assert list(reserved.phase_changes.values_list("to_phase", flat=True)) == [Phase.RESERVED]
    assert application.status == Status.SUBMITTED and not ApplicationEvent.objects.filter(application=application).exists()
    assert not FollowUp.objects.exists() and not Survey.objects.exists()


def test_a_cash_sale_withdraws_the_cars_open_applications_only(manager, reserved, customer):
    open_one = FinanceApplicationFactory(car=reserved, customer=customer, status=Status.SUBMITTED)
    declined = FinanceApplicationFactory(car=reserved, customer=customer, status=Status.DECLINED)
    elsewhere = FinanceApplicationFactory(customer=customer, status=Status.SUBMITTED)
    sell(manager, reserved, customer, payment=Payment.CASH)
    statuses = dict(FinanceApplication.objects.values_list("pk", "status"))
    assert statuses == {open_one.pk: Status.WITHDRAWN, declined.pk: Status.DECLINED, elsewhere.pk: Status.SUBMITTED}
    assert ApplicationEvent.objects.get(application=open_one).note == "The car was sold for cash."


def test_a_sale_on_finance_keeps_its_applications_open(manager, reserved, customer):
    application = FinanceApplicationFactory(car=reserved, customer=customer, status=Status.SUBMITTED)
    sell(manager, reserved, customer, payment=Payment.FINANCE)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_delivery_is_refused_until_the_finance_is_funded(manager, reserved, customer):
    sell(manager, reserved, customer, payment=Payment.FINANCE)
    application = FinanceApplicationFactory(car=reserved, customer=customer, status=Status.CONTRACT_SIGNED)
    with pytest.raises(ValidationError) as refused:
        inventory.sale_deliver(user=manager, car_id=reserved.pk)
    assert "once its finance application is funded" in refused.value.message_dict["sale"][0]
    assert Sale.objects.get().delivered_at is None
    FinanceApplication.objects.filter(pk=application.pk).update(status=Status.FUNDED)
    assert inventory.sale_deliver(user=manager, car_id=reserved.pk).delivered_by == manager


def test_a_funded_sale_cannot_switch_to_cash_and_stays_as_it_was(manager, reserved, customer):
    sell(manager, reserved, customer, payment=Payment.FINANCE)
    FinanceApplicationFactory(car=reserved, customer=customer, status=Status.FUNDED)
    with pytest.raises(ValidationError) as refused:
        inventory.sale_switch_to_cash(user=manager, car_id=reserved.pk, note="Paid by bank transfer")
    assert refused.value.message_dict == {"note": ["The finance for this car is already funded; it cannot become a cash sale."]}
    assert refused.value.error_dict["note"][0].code == "conflict"
    sale = Sale.objects.get()
    assert (sale.payment, sale.payment_changed_at, sale.payment_note) == (Payment.FINANCE, None, "")


def test_switching_to_cash_withdraws_the_open_applications(manager, reserved, customer):
    sell(manager, reserved, customer, payment=Payment.FINANCE)
    application = FinanceApplicationFactory(car=reserved, customer=customer, status=Status.APPROVED)
    inventory.sale_switch_to_cash(user=manager, car_id=reserved.pk, note="  Paid by bank transfer ")
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN and Sale.objects.get().payment == Payment.CASH
    assert ApplicationEvent.objects.get(application=application).note == "The sale was switched to cash: Paid by bank transfer"


def test_a_transfer_is_refused_while_finance_is_open(manager, north, south, customer):
    car = CarFactory(location=north, phase=Phase.LISTED)
    application = FinanceApplicationFactory(car=car, customer=customer, status=Status.REFERRED)

    def request(**changes):
        return inventory.transfer_request(
            user=manager, car_id=car.pk, to_location_id=south.pk, planned_on=timezone.localdate() + timedelta(days=2),
            **{"reason": "Sells better in the south", **changes},
        )

    with pytest.raises(ValidationError) as refused:
        request(reason="")
    # Finance's refusal comes with the request's own errors, as one answer.
    assert refused.value.message_dict == {
        "car": ["A finance application for this car is in progress here; finish or withdraw it first."],
        "reason": ["Say why the car should move."],
    }
    assert refused.value.error_dict["car"][0].code == "conflict"
    assert not Transfer.objects.exists()
    FinanceApplication.objects.filter(pk=application.pk).update(status=Status.DECLINED)
    assert request().status == Transfer.Status.REQUESTED


def test_an_undone_sale_leaves_every_apps_data_as_before_the_sale(manager, reserved, customer, north):
    FollowUpRule.objects.create(location=north, days_after_sale=3, note="How is the car?")
    north.survey_after_days = 7
    north.save()
    draft = FinanceApplicationFactory(car=reserved, customer=customer, status=Status.DRAFT)
    before = {
        "follow_ups": list(FollowUp.objects.values_list("pk", flat=True)),
        "surveys": Survey.objects.count(),
        "own_facts": SaleFact.objects.filter(kind="own").count(),
        "applications": list(FinanceApplication.objects.values_list("pk", "status", "status_changed_at")),
    }
    sale = sell(manager, reserved, customer, payment=Payment.FINANCE)
    warehouse.facts_sync()
    assert FollowUp.objects.count() == 1 and Survey.objects.count() == 1
    assert SaleFact.objects.filter(kind="own", source_ref=f"sale:{sale.pk}").exists()

    with transaction.atomic():
        inventory.sale_unwind(user=manager, car_id=reserved.pk, to_phase=Phase.RESERVED, note="Customer changed their mind")

    assert list(FollowUp.objects.values_list("pk", flat=True)) == before["follow_ups"]
    assert Survey.objects.count() == before["surveys"]
    assert SaleFact.objects.filter(kind="own").count() == before["own_facts"]
    assert list(FinanceApplication.objects.values_list("pk", "status", "status_changed_at")) == before["applications"]
    assert not ApplicationEvent.objects.filter(application=draft).exists()
    reserved.refresh_from_db()
    assert reserved.phase == Phase.RESERVED and not Sale.objects.exists()
    # What is kept is the record of it: the car's history and the customer's log.
    assert Communication.objects.get(customer=customer).body == "Customer changed their mind"


def test_an_unwind_that_a_receiver_fails_leaves_the_sale_whole(manager, reserved, customer, north, failing_receiver):
    FollowUpRule.objects.create(location=north, days_after_sale=3, note="How is the car?")
    sale = sell(manager, reserved, customer, payment=Payment.FINANCE)
    warehouse.facts_sync()
    failing_receiver(events.sale_unwinding)
    with pytest.raises(Refusal), transaction.atomic():
        inventory.sale_unwind(user=manager, car_id=reserved.pk, to_phase=Phase.LISTED, note="Declined")
    reserved.refresh_from_db()
    assert reserved.phase == Phase.SOLD and Sale.objects.filter(pk=sale.pk).exists()
    assert FollowUp.objects.filter(sale=sale).count() == 1
    assert SaleFact.objects.filter(source_ref=f"sale:{sale.pk}").exists()
    assert not Communication.objects.exists()
