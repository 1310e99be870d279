"""Customer care follows inventory's sales (crm.sales, connected in CrmConfig.ready): it says whom
a car may be sold to, makes a sale's follow-ups and survey in the sale's transaction, and takes
them back with an undone sale, keeping what people wrote by hand."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ifixit.crm.models import Communication, FollowUp, FollowUpRule, Survey
from ifixit.inventory import events
from ifixit.inventory import services as inventory
from ifixit.inventory.models import Payment, Phase, Sale
from ifixit.testing.factories import CarFactory, CustomerFactory

TODAY = timezone.localdate


def sell(user, car, customer, payment=Payment.CASH):
    return inventory.sale_record(
        user=user, car_id=car.pk, sold_on=TODAY(), price=Decimal("9000"), customer_id=customer.pk, payment=payment
    )


@pytest.fixture
def listed(north):
    return CarFactory(location=north, phase=Phase.LISTED)


def test_it_refuses_a_customer_the_seller_may_not_see(sales_user, listed, south, north):
    stranger = CustomerFactory(locations=[south])
    survivor = CustomerFactory(locations=[north])
    merged = CustomerFactory(locations=[north])
    merged.merged_into = survivor
    merged.save()
    for customer in (stranger, merged):
        with pytest.raises(ValidationError) as refused:
            sell(sales_user, listed, customer)
        assert refused.value.message_dict == {"customer": ["Choose a customer of your locations."]}
    listed.refresh_from_db()
    assert listed.phase == Phase.LISTED and not Sale.objects.exists()
    assert sell(sales_user, listed, survivor).customer == survivor


def test_an_undone_sale_takes_its_follow_ups_and_survey_and_keeps_the_hand_written_one(manager, listed, north):
    customer = CustomerFactory(locations=[north])
    FollowUpRule.objects.create(location=north, days_after_sale=3, note="How is the car?")
    sale = sell(manager, listed, customer, payment=Payment.FINANCE)  # undelivered until funded
    # One written by hand about the sale (no rule): it is about the car, and stays.
    by_hand = FollowUp.objects.create(
        customer=customer, location=north, car=listed, sale=sale, assignee=manager, note="Bring the spare key",
        due_at=timezone.now() + datetime.timedelta(days=10), created_by=manager,
    )
    assert FollowUp.objects.filter(sale=sale, rule__isnull=False).count() == 1 and Survey.objects.filter(sale=sale).exists()

    with transaction.atomic():
        inventory.sale_unwind(user=manager, car_id=listed.pk, to_phase=Phase.LISTED, note="Finance declined")

    assert not FollowUp.objects.filter(rule__isnull=False).exists() and not Survey.objects.exists()
    kept = FollowUp.objects.get()
    assert (kept.pk, kept.sale_id, kept.note) == (by_hand.pk, None, "Bring the spare key")
    log = Communication.objects.get(customer=customer)
    assert (log.subject, log.body) == (f"Sale undone: {listed}", "Finance declined")


def test_a_failing_subscriber_leaves_no_follow_ups_of_a_sale_that_never_was(manager, listed, north):
    customer = CustomerFactory(locations=[north])
    FollowUpRule.objects.create(location=north, days_after_sale=3, note="How is the car?")

    def broken(sender, **kwargs):
        raise RuntimeError("a subscriber broke")

    events.sale_recorded.connect(broken, weak=False, dispatch_uid="test.broken")
    try:
        with pytest.raises(RuntimeError):
            sell(manager, listed, customer)
    finally:
        events.sale_recorded.disconnect(dispatch_uid="test.broken")
    assert not Sale.objects.exists() and not FollowUp.objects.exists() and not Survey.objects.exists()
    assert not customer.locations.exclude(pk=north.pk).exists()
