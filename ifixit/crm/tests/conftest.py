"""Helpers for customer care's API tests: its own customer and follow-up factories (a
customer with tags, no phone unless given), a sale to a customer, an answered survey, the
customer most tests are about and a new customer's body. The clients and the
unauthenticated check are the root conftest's."""

import datetime
from decimal import Decimal

import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from ifixit.crm.models import Customer, FollowUp, Survey, Tag
from ifixit.inventory.models import Phase, Sale
from ifixit.testing.factories import CarFactory

# --- Factories (customer care's own; the shared ones live in ifixit.testing) ---------------


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Customer {n:03d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.set(extracted)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(Tag.objects.get_or_create(name=name)[0] for name in extracted)


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    customer = factory.SubFactory(CustomerFactory)
    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=2))
    note = "Check-in call"


def sale_of(customer: Customer, *, location, sold_by=None, days_ago=10, price="9500.00") -> Sale:
    car = CarFactory(location=location, phase=Phase.SOLD, make="Vauxhall", model="Corsa")
    return Sale.objects.create(
        car=car,
        customer=customer,
        location=location,
        sold_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        price=Decimal(price),
        cost_at_sale=Decimal("7000.00"),
        sold_by=sold_by,
    )


def answered_survey(sale: Sale, *, recommend: int, satisfaction: int, at=None) -> Survey:
    return Survey.objects.create(
        sale=sale,
        customer=sale.customer,
        location=sale.location,
        salesperson=sale.sold_by,
        send_on=sale.sold_on,
        status=Survey.Status.ANSWERED,
        answered_at=at or timezone.now(),
        recommend_score=recommend,
        satisfaction=satisfaction,
        comment="Fine",
    )


@pytest.fixture
def customer(north):
    return CustomerFactory(
        name="Jo Bloggs", email="jo@example.com", phone="+447911123456", locations=[north], tags=["VIP"]
    )


def url(name, *args):
    return reverse(name, args=args)


NEW_CUSTOMER = {
    "name": " Alex Smith ",
    "email": " Alex.Smith@Example.COM ",
    "phone": "07911 100001",
    "postcode": "ls11aa",
    "town": "Leeds",
    "tags": ["Trade", "VIP"],
    "email_marketing": True,
}
