"""Helpers for the inventory API tests: a car in the workshop and a listed one, a car to
register, small images to upload. The clients and the unauthenticated check are the root
conftest's."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from ifixit.inventory.models import Phase
from ifixit.testing.factories import CarFactory

NEW_CAR = {
    "vin": "WVWZZZ1KZAW123456",
    "registration": "LM19 XYZ",
    "make": "Volkswagen",
    "model": "Golf",
    "trim": "SE",
    "year": 2019,
    "mileage": 38000,
    "colour": "Blue",
    "fuel": "petrol",
    "transmission": "manual",
    "body_type": "hatchback",
    "phase": "purchased",
    "purchased_on": "2025-11-01",
    "purchase_price": "8200.00",
    "auction_fees": "420.00",
    "transport_cost": "150.00",
}


def image_bytes(fmt="PNG", size=(64, 48)) -> bytes:
    buf = BytesIO()
    Image.new("RGB", size, (10, 90, 200)).save(buf, fmt)
    return buf.getvalue()


def upload(data: bytes, name="car.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type)


@pytest.fixture
def car(north):
    return CarFactory(location=north, phase=Phase.FIXING, make="Vauxhall", model="Corsa")


@pytest.fixture
def listed_car(north):
    return CarFactory(
        location=north,
        phase=Phase.LISTED,
        purchased_on=timezone.localdate() - timedelta(days=30),
        asking_price=Decimal(9500),
    )


def url(name, *args):
    return reverse(name, args=args)
