"""Cars and their phase lifecycle, costs, photos and sales, at the group's locations."""

import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ifixit.locations.models import Location
from ifixit.uploads import CONTENT_TYPE_BY_EXTENSION

MAX_PRICE = Decimal("10000000")  # no car this business trades costs ten million
MAX_MILEAGE = 1_500_000
MIN_YEAR = 1900
# Lenders do not finance less than this: a sale leaving less to pay after its part-exchange is a
# cash sale (and a finance application asks for at least this much).
MIN_AMOUNT_FINANCED = Decimal("500")


class Phase(models.TextChoices):
    SOURCED = "sourced", "Sourced"
    PURCHASED = "purchased", "Purchased"
    IN_TRANSIT = "in_transit", "In transit"
    FIXING = "fixing", "Fixing"
    READY = "ready", "Ready"
    LISTED = "listed", "Listed"
    RESERVED = "reserved", "Reserved"
    SOLD = "sold", "Sold"


# The moves a real dealer makes, including the ones back: a car that fails its
# pre-sale inspection goes from listed back to fixing; a reservation that falls
# through goes back to listed. Sold is reached only by recording a sale.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Phase.SOURCED: (Phase.PURCHASED,),
    Phase.PURCHASED: (Phase.IN_TRANSIT, Phase.FIXING, Phase.READY),
    Phase.IN_TRANSIT: (Phase.PURCHASED, Phase.FIXING, Phase.READY),
    Phase.FIXING: (Phase.READY,),
    Phase.READY: (Phase.FIXING, Phase.LISTED),
    Phase.LISTED: (Phase.FIXING, Phase.READY, Phase.RESERVED, Phase.SOLD),
    Phase.RESERVED: (Phase.LISTED, Phase.SOLD),
    Phase.SOLD: (),
}

# Phases in which the car is in stock (bought and not yet sold).
STOCK_PHASES = [p for p in Phase if p not in (Phase.SOURCED, Phase.SOLD)]

VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
# Current UK format (AB12 CDE) and the older prefix/suffix/dateless formats.
UK_PLATE_RE = re.compile(
    r"^("
    r"[A-Z]{2}[0-9]{2}[A-Z]{3}"  # current: AB12CDE
    r"|[A-Z][0-9]{1,3}[A-Z]{3}"  # prefix: A123BCD
    r"|[A-Z]{3}[0-9]{1,3}[A-Z]"  # suffix: ABC123D
    r"|[0-9]{1,4}[A-Z]{1,3}"  # dateless: 1234AB
    r"|[A-Z]{1,3}[0-9]{1,4}"  # dateless: AB1234
    r")$"
)


def normalise_vin(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def normalise_plate(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def validate_vin(value: str) -> None:
    vin = normalise_vin(value)
    if len(vin) != 17:
        raise ValidationError("A VIN has exactly 17 characters (this one has %(n)s).", params={"n": len(vin)}, code="vin_length")
    if re.search(r"[IOQ]", vin):
        raise ValidationError("A VIN never contains the letters I, O or Q.", code="vin_letters")
    if not VIN_RE.match(vin):
        raise ValidationError("A VIN has only letters and digits.", code="vin_chars")


def validate_uk_plate(value: str) -> None:
    if value and not UK_PLATE_RE.match(normalise_plate(value)):
        raise ValidationError("Enter a UK registration such as AB12 CDE.", code="plate")


def validate_year(value: int) -> None:
    latest = timezone.now().year + 1
    if not MIN_YEAR <= value <= latest:
        raise ValidationError("Year must be between %(lo)s and %(hi)s.", params={"lo": MIN_YEAR, "hi": latest}, code="year")


class PurchaseFunding(models.TextChoices):
    """How the group paid the auction or seller for a car."""

    CASH = "cash", "Own funds"
    STOCK_FINANCE = "stock_finance", "Stock finance (floor plan)"


def money_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_PRICE)],
        **kwargs,
    )


class Car(models.Model):
    class Fuel(models.TextChoices):
        PETROL = "petrol", "Petrol"
        DIESEL = "diesel", "Diesel"
        HYBRID = "hybrid", "Hybrid"
        ELECTRIC = "electric", "Electric"
        OTHER = "other", "Other"

    class Transmission(models.TextChoices):
        MANUAL = "manual", "Manual"
        AUTOMATIC = "automatic", "Automatic"

    class Body(models.TextChoices):
        HATCHBACK = "hatchback", "Hatchback"
        SALOON = "saloon", "Saloon"
        ESTATE = "estate", "Estate"
        SUV = "suv", "SUV"
        COUPE = "coupe", "Coupé"
        CONVERTIBLE = "convertible", "Convertible"
        MPV = "mpv", "MPV"
        VAN = "van", "Van"
        PICKUP = "pickup", "Pick-up"

    vin = models.CharField("VIN", max_length=17, unique=True, validators=[validate_vin])
    registration = models.CharField(max_length=10, blank=True, validators=[validate_uk_plate])
    make = models.CharField(max_length=50)
    model = models.CharField(max_length=50)
    trim = models.CharField(max_length=50, blank=True)
    year = models.PositiveSmallIntegerField(validators=[validate_year])
    mileage = models.PositiveIntegerField(validators=[MaxValueValidator(MAX_MILEAGE)], help_text="Miles")
    colour = models.CharField(max_length=30, blank=True)
    fuel = models.CharField(max_length=10, choices=Fuel.choices, default=Fuel.PETROL)
    transmission = models.CharField(max_length=10, choices=Transmission.choices, default=Transmission.MANUAL)
    body_type = models.CharField(max_length=12, choices=Body.choices, default=Body.HATCHBACK)

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="cars")
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.SOURCED)
    # Denormalised from the latest PhaseChange so "days in phase" filters and sorts in SQL.
    phase_changed_at = models.DateTimeField(default=timezone.now)

    purchased_on = models.DateField(null=True, blank=True)
    purchase_price = money_field(default=Decimal("0"))
    auction_fees = money_field(default=Decimal("0"))
    transport_cost = money_field(default=Decimal("0"))
    asking_price = money_field(null=True, blank=True)
    purchase_funding = models.CharField(
        "Paid for with", max_length=14, choices=PurchaseFunding.choices, default=PurchaseFunding.CASH
    )

    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("change_phase", "Can move a car between phases")]
        indexes = [
            models.Index(fields=["location", "phase", "phase_changed_at"], name="car_loc_phase_age"),
            models.Index(fields=["make", "model"], name="car_make_model"),
            models.Index(fields=["phase", "phase_changed_at"], name="car_phase_age"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(phase__in=Phase.values), name="car_phase_valid"),
            models.CheckConstraint(condition=Q(mileage__lte=MAX_MILEAGE), name="car_mileage_sane"),
            models.CheckConstraint(
                condition=Q(purchase_price__gte=0) & Q(auction_fees__gte=0) & Q(transport_cost__gte=0),
                name="car_costs_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.make} {self.model} ({self.registration_display or self.vin})"

    def clean(self):
        self.vin = normalise_vin(self.vin)
        self.registration = normalise_plate(self.registration)
        self.make = self.make.strip()
        self.model = self.model.strip()

    @property
    def acquisition_cost(self) -> Decimal:
        return self.purchase_price + self.auction_fees + self.transport_cost

    @property
    def allowed_next_phases(self) -> list[Phase]:
        return [Phase(p) for p in TRANSITIONS[self.phase] if p != Phase.SOLD]

    @property
    def can_be_sold(self) -> bool:
        return Phase.SOLD in TRANSITIONS[self.phase]

    def days_in_phase(self, now=None) -> int:
        return ((now or timezone.now()) - self.phase_changed_at).days

    @property
    def registration_display(self) -> str:
        reg = self.registration
        if len(reg) == 7 and reg[:2].isalpha() and reg[2:4].isdigit():
            return f"{reg[:4]} {reg[4:]}"
        return reg


class PhaseChange(models.Model):
    """One row per phase change: the car's timeline. Never edited."""

    car = models.ForeignKey(Car, on_delete=models.CASCADE, related_name="phase_changes")
    from_phase = models.CharField(max_length=12, choices=Phase.choices, blank=True)
    to_phase = models.CharField(max_length=12, choices=Phase.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["car", "-changed_at"], name="phasechange_car_time")]


class RepairItem(models.Model):
    class Category(models.TextChoices):
        MECHANICAL = "mechanical", "Mechanical"
        BODYWORK = "bodywork", "Bodywork"
        PAINT = "paint", "Paint"
        TYRES = "tyres", "Tyres"
        ELECTRICAL = "electrical", "Electrical"
        INTERIOR = "interior", "Interior"
        VALETING = "valeting", "Valeting"
        MOT = "mot", "MOT / inspection"
        OTHER = "other", "Other"

    car = models.ForeignKey(Car, on_delete=models.CASCADE, related_name="repair_items")
    category = models.CharField(max_length=12, choices=Category.choices, default=Category.MECHANICAL)
    description = models.CharField(max_length=200)
    parts_cost = money_field(default=Decimal("0"))
    labour_cost = money_field(default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(parts_cost__gte=0) & Q(labour_cost__gte=0), name="repair_costs_not_negative"),
        ]

    @property
    def total(self) -> Decimal:
        return self.parts_cost + self.labour_cost


def car_photo_path(instance: "CarPhoto", filename: str) -> str:
    """A generated name: nothing of the uploader's file name is kept but an extension we
    chose from the detected format (ifixit.uploads); any other extension is stored as .bin,
    which is served only as a download."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in CONTENT_TYPE_BY_EXTENSION:
        extension = "bin"
    return f"cars/{instance.car_id}/{uuid.uuid4().hex}.{extension}"


class CarPhoto(models.Model):
    """A photo of a car: the original as uploaded (private, never sent to a page) and, once a
    worker has made them, its variants (ifixit/inventory/photos/), which pages show."""

    class Variants(models.TextChoices):
        PENDING = "pending", "Being made"
        READY = "ready", "Ready"
        FAILED = "failed", "Could not be made"

    car = models.ForeignKey(Car, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=car_photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    caption = models.CharField(max_length=200, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    position = models.PositiveIntegerField(default=0, help_text="Order in the car's gallery, from 0.")
    is_primary = models.BooleanField(default=False, help_text="The car's face: its thumbnail in lists and cards.")
    variants_state = models.CharField(max_length=8, choices=Variants.choices, default=Variants.PENDING)
    variants_error = models.CharField(max_length=300, blank=True, help_text="Why the variants could not be made.")

    class Meta:
        ordering = ["position", "uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["car"], condition=Q(is_primary=True), name="one_primary_photo_per_car"),
        ]
        indexes = [
            # The backfill's question: which photos still need their variants.
            models.Index(fields=["variants_state"], name="carphoto_variants_state"),
        ]

    @property
    def variants_ready(self) -> bool:
        return self.variants_state == self.Variants.READY

    # What pages show (ifixit/inventory/photos/pictures.py); None while the variants are made.
    # They read `variants.all()`: the selectors prefetch it.
    @property
    def thumb_picture(self):
        from ifixit.inventory.photos.pictures import picture

        return picture(self.variants.all(), ["thumb", "card"]) if self.variants_ready else None

    @property
    def page_picture(self):
        from ifixit.inventory.photos.pictures import picture

        return picture(self.variants.all(), ["card", "page", "full"]) if self.variants_ready else None


class CarPhotoVariant(models.Model):
    """One resized, metadata-free copy of a photo in one format, under a content-hashed name
    in the variants storage (settings.STORAGES["photo_variants"])."""

    class Size(models.TextChoices):
        THUMB = "thumb", "Thumbnail"
        CARD = "card", "Card"
        PAGE = "page", "Car page"
        FULL = "full", "Full screen"

    class Format(models.TextChoices):
        AVIF = "avif", "AVIF"
        WEBP = "webp", "WebP"
        JPEG = "jpeg", "JPEG"

    photo = models.ForeignKey(CarPhoto, on_delete=models.CASCADE, related_name="variants")
    size = models.CharField(max_length=5, choices=Size.choices)
    format = models.CharField(max_length=4, choices=Format.choices)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    name = models.CharField(max_length=255, help_text="The file's name in the variants storage.")
    bytes = models.PositiveIntegerField()

    class Meta:
        ordering = ["photo", "width", "format"]
        constraints = [models.UniqueConstraint(fields=["photo", "size", "format"], name="one_variant_per_size_format")]


class PhotoFileChange(models.Model):
    """What the re-check of stored photos did to one file (the photos_recheck command and the
    migration that runs it): renamed to the name of its real format, or taken out of the car's
    photos and kept aside because it is no image we accept. The old name says how it came in."""

    class Action(models.TextChoices):
        RENAMED = "renamed", "Renamed to its real format"
        QUARANTINED = "quarantined", "Taken out of the car's photos"

    car = models.ForeignKey(Car, on_delete=models.CASCADE, related_name="+")
    photo_id = models.PositiveIntegerField(help_text="The photo's id; a quarantined photo no longer exists.")
    action = models.CharField(max_length=12, choices=Action.choices)
    old_name = models.CharField(max_length=255)
    new_name = models.CharField(max_length=255)
    reason = models.CharField(max_length=300)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]


class Payment(models.TextChoices):
    """How a customer paid for a car; a part-exchange may come with either."""

    CASH = "cash", "Cash, card or bank transfer"
    FINANCE = "finance", "Finance"


class Sale(models.Model):
    car = models.OneToOneField(Car, on_delete=models.PROTECT, related_name="sale")
    sold_on = models.DateField()
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(MAX_PRICE)],
    )
    # Where it was sold, kept apart from the car's location so history survives transfers.
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="sales")
    # Snapshot of the car's total cost when sold; repairs cannot be added to a sold
    # car, so this stays true and gross profit needs no join over repair items.
    cost_at_sale = money_field(default=Decimal("0"))
    buyer_name = models.CharField(max_length=200, blank=True)
    customer = models.ForeignKey("crm.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="purchases")
    sold_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    payment = models.CharField(max_length=10, choices=Payment.choices, default=Payment.CASH)
    # The customer's own car taken in against this one: its value counts towards the price.
    part_exchange_allowance = money_field(default=Decimal("0"))
    part_exchange_registration = models.CharField(max_length=10, blank=True)
    part_exchange_description = models.CharField(max_length=200, blank=True)
    # Set when a finance sale is switched to cash: who, when and why.
    payment_changed_at = models.DateTimeField(null=True, blank=True)
    payment_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payment_note = models.CharField(max_length=500, blank=True)
    # Handed over to the customer; a finance sale only once its application is funded.
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-sold_on", "-id"]
        permissions = [("deliver_sale", "Can hand a sold car over to its buyer")]
        indexes = [
            models.Index(fields=["location", "sold_on"], name="sale_location_date"),
            models.Index(fields=["payment", "sold_on"], name="sale_payment_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="sale_price_positive"),
            models.CheckConstraint(condition=Q(payment__in=Payment.values), name="sale_payment_valid"),
            models.CheckConstraint(
                condition=Q(part_exchange_allowance__gte=0) & Q(part_exchange_allowance__lte=F("price")),
                name="sale_part_exchange_within_price",
            ),
        ]

    @property
    def gross_profit(self) -> Decimal:
        return self.price - self.cost_at_sale

    @property
    def has_part_exchange(self) -> bool:
        return self.part_exchange_allowance > 0

    @property
    def payment_display(self) -> str:
        """'Finance + part-exchange', 'Cash, card or bank transfer'..."""
        label = "Cash" if self.payment == Payment.CASH and self.has_part_exchange else self.get_payment_display()
        return f"{label} + part-exchange" if self.has_part_exchange else label

    @property
    def balance_due(self) -> Decimal:
        """What the customer pays beyond the part-exchange, in cash or through a lender."""
        return self.price - self.part_exchange_allowance


class Transfer(models.Model):
    """A car's move from one of the group's locations to another.

    requested -> approved (by a manager of the sending location) -> dispatched (the car
    goes in transit) -> received (the car's location changes, only now); rejected, or
    cancelled by either side before dispatch, end it early.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        DISPATCHED = "dispatched", "In transit"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    OPEN = (Status.REQUESTED, Status.APPROVED, Status.DISPATCHED)

    car = models.ForeignKey(Car, on_delete=models.PROTECT, related_name="transfers")
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_out")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_in")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=300)
    planned_on = models.DateField()
    transport_cost = money_field(default=Decimal("0"))
    # The phase the car was in when dispatched: it goes back to it on arrival.
    phase_before = models.CharField(max_length=12, choices=Phase.choices, blank=True)

    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True, help_text="Why it was rejected or cancelled.")

    class Meta:
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_transfer", "Can approve or reject transfers out of their locations")]
        indexes = [
            models.Index(fields=["status", "from_location"], name="transfer_out"),
            models.Index(fields=["status", "to_location"], name="transfer_in"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(from_location=F("to_location")), name="transfer_between_two_places"),
            models.CheckConstraint(condition=Q(transport_cost__gte=0), name="transfer_cost_not_negative"),
            # One open transfer per car at a time.
            models.UniqueConstraint(
                fields=["car"], condition=Q(status__in=["requested", "approved", "dispatched"]), name="transfer_one_open_per_car"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.car} {self.from_location.code}→{self.to_location.code} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN
