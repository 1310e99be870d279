"""factory_boy factories shared by every app's tests."""

import random
import string
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.accounts.roles import sync_role_groups
from ifixit.finance.calculator import monthly_payment
from ifixit.inventory.models import Car, Phase, PhaseChange, RepairItem
from ifixit.locations.models import Location

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def random_vin(rng: random.Random | None = None) -> str:
    rng = rng or random
    return "".join(rng.choice(VIN_ALPHABET) for _ in range(17))


def random_plate(rng: random.Random | None = None) -> str:
    rng = rng or random
    letters = "ABCDEFGHJKLMNOPRSTUVWXY"
    return (
        "".join(rng.choice(letters) for _ in range(2))
        + f"{rng.randint(10, 75):02d}"
        + "".join(rng.choice(letters) for _ in range(3))
    )


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Site {n}")
    code = factory.Sequence(lambda n: f"S{n:03d}")
    address = "1 High Street"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = roles.MANAGER

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "pw-for-tests-123")
        if create:
            self.save()

    @factory.post_generation
    def groups_from_role(self, create, extracted, **kwargs):
        if create:
            self.is_staff = self.role == roles.ADMIN
            self.save(update_fields=["is_staff"])
            if not Group.objects.filter(name=self.role).exists():
                # Transactional tests flush the groups the migration made.
                sync_role_groups(Group, Permission)
            self.groups.set([Group.objects.get(name=self.role)])

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.set(extracted)


class CarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Car
        skip_postgeneration_save = True

    vin = factory.LazyFunction(random_vin)
    registration = factory.LazyFunction(random_plate)
    make = "Ford"
    model = "Focus"
    year = 2018
    mileage = 45000
    location = factory.SubFactory(LocationFactory)
    phase = Phase.PURCHASED
    phase_changed_at = factory.LazyFunction(timezone.now)
    purchase_price = Decimal("6500.00")
    auction_fees = Decimal("350.00")
    transport_cost = Decimal("120.00")

    @factory.post_generation
    def history(self, create, extracted, **kwargs):
        if create:
            PhaseChange.objects.create(car=self, from_phase="", to_phase=self.phase, changed_at=self.phase_changed_at, note="Registered")


class RepairItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RepairItem

    car = factory.SubFactory(CarFactory)
    category = RepairItem.Category.MECHANICAL
    description = "Front brake pads and discs"
    parts_cost = Decimal("180.00")
    labour_cost = Decimal("90.00")


def unique_code(n: int = 3) -> str:
    return "".join(random.choice(string.ascii_uppercase) for _ in range(n))


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer of the given locations (`locations=[north]`)."""

    class Meta:
        model = "crm.Customer"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"+4479111{n:05d}")

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.set(extracted)


class LenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "finance.Lender"

    name = factory.Sequence(lambda n: f"Lender {n} Finance")
    phone = "+442079460000"
    email = factory.Sequence(lambda n: f"deals{n}@lender.example")
    typical_decision_hours = 24


class FinanceApplicationFactory(factory.django.DjangoModelFactory):
    """An application straight in any state (`status=`), its figures adding up:
    £10,000 cash price, £1,000 deposit, £9,000 over 48 months at 9.9% APR."""

    class Meta:
        model = "finance.FinanceApplication"

    customer = factory.SubFactory(CustomerFactory)
    car = factory.SubFactory(CarFactory)
    lender = factory.SubFactory(LenderFactory)
    location = factory.LazyAttribute(lambda o: o.car.location)
    cash_price = Decimal("10000.00")
    deposit = Decimal("1000.00")
    part_exchange = Decimal("0.00")
    amount_financed = factory.LazyAttribute(lambda o: o.cash_price - o.deposit - o.part_exchange)
    term_months = 48
    apr = Decimal("9.9")
    monthly_payment = factory.LazyAttribute(
        lambda o: monthly_payment(amount_financed=o.amount_financed, apr=o.apr, term_months=o.term_months)
    )
    status = "draft"
