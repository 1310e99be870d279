"""Inventory services, called directly: the rules every door (page, API) shares."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from ifixit.inventory import services
from ifixit.inventory.models import TRANSITIONS, Car, CarPhoto, Phase, PhaseChange, RepairItem, Sale
from ifixit.testing.factories import CarFactory, RepairItemFactory

VALID = dict(vin="WF0XXXGCDX1234567", registration="ab12 cde", make="Ford", model="Focus", year=2019, mileage=41000)


def png_bytes(size=(40, 30)) -> bytes:
    buf = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


class TestCarCreate:
    def test_it_registers_a_car_with_its_first_timeline_row(self, manager, north):
        car = services.car_create(user=manager, location=north, phase=Phase.PURCHASED, **VALID)
        assert car.vin == "WF0XXXGCDX1234567"
        assert car.registration == "AB12CDE"
        assert car.registration_display == "AB12 CDE"
        change = car.phase_changes.get()
        assert (change.from_phase, change.to_phase, change.changed_by) == ("", Phase.PURCHASED, manager)

    @pytest.mark.parametrize(
        "vin, fragment",
        [("WF0XXXGCDX123456", "17 characters"), ("WF0XXXGCDX123456O", "I, O or Q"), ("WF0XXXGCDX12345-7", "letters and digits")],
    )
    def test_it_rejects_a_bad_vin_and_writes_nothing(self, manager, north, vin, fragment):
        with pytest.raises(ValidationError) as err:
            services.car_create(user=manager, location=north, **{**VALID, "vin": vin})
        assert fragment in " ".join(err.value.message_dict["vin"])
        assert not Car.objects.exists() and not PhaseChange.objects.exists()

    @pytest.mark.parametrize(
        "field, value",
        [("purchase_price", Decimal("-1")), ("purchase_price", Decimal("50000000")), ("mileage", 2_000_000), ("year", 1850), ("registration", "NOT A PLATE!")],
    )
    def test_it_rejects_absurd_values_by_field(self, manager, north, field, value):
        with pytest.raises(ValidationError) as err:
            services.car_create(user=manager, location=north, **{**VALID, field: value})
        assert field in err.value.message_dict
        assert not Car.objects.exists()

    def test_it_rejects_a_duplicate_vin_even_at_another_location(self, manager, south):
        CarFactory(vin=VALID["vin"], location=south)
        with pytest.raises(ValidationError) as err:
            services.car_create(user=manager, location=manager.locations.get(), **VALID)
        assert "already registered" in err.value.message_dict["vin"][0]

    def test_it_refuses_a_location_the_user_may_not_see(self, manager, south):
        with pytest.raises(ValidationError) as err:
            services.car_create(user=manager, location=south, **VALID)
        assert "location" in err.value.message_dict

    def test_it_refuses_users_without_the_permission(self, sales_user, north):
        with pytest.raises(PermissionDenied):
            services.car_create(user=sales_user, location=north, **VALID)


class TestPhaseChanges:
    def test_it_follows_the_whole_lifecycle_with_a_history_row_each(self, manager, north):
        car = CarFactory(location=north, phase=Phase.PURCHASED)
        for to in [Phase.IN_TRANSIT, Phase.FIXING, Phase.READY, Phase.LISTED, Phase.FIXING, Phase.READY, Phase.LISTED, Phase.RESERVED]:
            services.car_change_phase(user=manager, car_id=car.pk, to_phase=to, note=f"to {to}")
        car.refresh_from_db()
        assert car.phase == Phase.RESERVED
        sale = services.sale_record(user=manager, car_id=car.pk, sold_on=timezone.localdate(), price=Decimal("9999"))
        car.refresh_from_db()
        assert car.phase == Phase.SOLD
        assert list(car.phase_changes.order_by("changed_at", "id").values_list("to_phase", flat=True)) == [
            "purchased", "in_transit", "fixing", "ready", "listed", "fixing", "ready", "listed", "reserved", "sold"
        ]
        assert sale.cost_at_sale == car.acquisition_cost

    @pytest.mark.parametrize("start, to", [(Phase.PURCHASED, Phase.LISTED), (Phase.SOURCED, Phase.FIXING), (Phase.FIXING, Phase.RESERVED), (Phase.SOLD, Phase.LISTED)])
    def test_it_refuses_moves_the_state_machine_forbids(self, manager, north, start, to):
        car = CarFactory(location=north, phase=start)
        with pytest.raises(ValidationError) as err:
            services.car_change_phase(user=manager, car_id=car.pk, to_phase=to)
        assert "to_phase" in err.value.message_dict
        car.refresh_from_db()
        assert car.phase == start and car.phase_changes.count() == 1

    def test_it_never_marks_sold_without_a_sale(self, manager, north):
        car = CarFactory(location=north, phase=Phase.RESERVED)
        with pytest.raises(ValidationError, match="Record the sale"):
            services.car_change_phase(user=manager, car_id=car.pk, to_phase=Phase.SOLD)

    def test_it_refuses_a_move_based_on_a_stale_view(self, manager, workshop_user, north):
        """Two people looking at a ready car: one lists it, the other then tries to send
        it back to fixing from the 'ready' they saw. The second move is refused."""
        car = CarFactory(location=north, phase=Phase.READY)
        services.car_change_phase(user=manager, car_id=car.pk, to_phase=Phase.LISTED, expected_phase=Phase.READY)
        with pytest.raises(ValidationError) as err:
            services.car_change_phase(user=workshop_user, car_id=car.pk, to_phase=Phase.FIXING, expected_phase=Phase.READY)
        assert err.value.error_dict["to_phase"][0].code == "conflict"
        car.refresh_from_db()
        assert car.phase == Phase.LISTED and car.phase_changes.count() == 2

    def test_it_cannot_touch_a_car_of_another_location(self, outsider, north):
        car = CarFactory(location=north, phase=Phase.PURCHASED)
        with pytest.raises(Car.DoesNotExist):
            services.car_change_phase(user=outsider, car_id=car.pk, to_phase=Phase.FIXING)

    def test_every_phase_has_a_way_on_except_sold(self):
        assert all(TRANSITIONS[p] for p in Phase if p != Phase.SOLD)
        assert TRANSITIONS[Phase.SOLD] == ()


class TestRepairsPhotosSales:
    def test_it_adds_repair_items_to_the_running_total(self, workshop_user, north):
        car = CarFactory(location=north, phase=Phase.FIXING)
        services.repair_item_add(user=workshop_user, car_id=car.pk, description="Clutch", parts_cost=Decimal("300"), labour_cost=Decimal("150.50"))
        assert RepairItem.objects.get(car=car).total == Decimal("450.50")

    def test_it_refuses_a_repair_item_on_a_sold_car(self, manager, north):
        car = CarFactory(location=north, phase=Phase.SOLD)
        with pytest.raises(ValidationError, match="sold"):
            services.repair_item_add(user=manager, car_id=car.pk, description="Late bill", parts_cost=Decimal("10"))
        assert not RepairItem.objects.exists()

    def test_it_refuses_negative_or_empty_repair_costs(self, manager, north):
        car = CarFactory(location=north, phase=Phase.FIXING)
        with pytest.raises(ValidationError) as err:
            services.repair_item_add(user=manager, car_id=car.pk, description="Oops", parts_cost=Decimal("-5"))
        assert "parts_cost" in err.value.message_dict
        with pytest.raises(ValidationError):
            services.repair_item_add(user=manager, car_id=car.pk, description="Nothing")
        assert not RepairItem.objects.exists()

    def test_it_stores_a_real_image(self, manager, north):
        car = CarFactory(location=north)
        photo = services.car_photo_add(user=manager, car_id=car.pk, image=SimpleUploadedFile("front.png", png_bytes(), "image/png"))
        assert (photo.width, photo.height) == (40, 30)

    def test_it_refuses_a_file_that_is_not_an_image(self, manager, north):
        car = CarFactory(location=north)
        with pytest.raises(ValidationError, match="PDF, not a photo"):
            services.car_photo_add(user=manager, car_id=car.pk, image=SimpleUploadedFile("x.jpg", b"%PDF-1.4 not a photo", "image/jpeg"))
        assert not CarPhoto.objects.exists()

    def test_it_refuses_a_photo_over_the_size_limit(self, manager, north, settings):
        settings.MAX_PHOTO_BYTES = 1000
        car = CarFactory(location=north)
        with pytest.raises(ValidationError, match="at most"):
            services.car_photo_add(user=manager, car_id=car.pk, image=SimpleUploadedFile("big.png", png_bytes((400, 400)), "image/png"))
        assert not CarPhoto.objects.exists()

    def test_the_sale_snapshots_the_full_cost(self, sales_user, north):
        car = CarFactory(location=north, phase=Phase.LISTED, purchase_price=Decimal("5000"), auction_fees=Decimal("300"), transport_cost=Decimal("100"))
        RepairItemFactory(car=car, parts_cost=Decimal("200"), labour_cost=Decimal("100"))
        sale = services.sale_record(user=sales_user, car_id=car.pk, sold_on=timezone.localdate(), price=Decimal("7000"))
        assert sale.cost_at_sale == Decimal("5700")
        assert sale.gross_profit == Decimal("1300")
        assert sale.location == north

    def test_it_refuses_a_sale_in_the_future_or_of_an_unlisted_car(self, sales_user, north):
        listed = CarFactory(location=north, phase=Phase.LISTED)
        with pytest.raises(ValidationError) as err:
            services.sale_record(user=sales_user, car_id=listed.pk, sold_on=timezone.localdate() + timedelta(days=2), price=Decimal("5000"))
        assert "sold_on" in err.value.message_dict
        fixing = CarFactory(location=north, phase=Phase.FIXING)
        with pytest.raises(ValidationError):
            services.sale_record(user=sales_user, car_id=fixing.pk, sold_on=timezone.localdate(), price=Decimal("5000"))
        with pytest.raises(ValidationError) as err:
            services.sale_record(user=sales_user, car_id=listed.pk, sold_on=timezone.localdate(), price=Decimal("0"))
        assert "price" in err.value.message_dict
        assert not Sale.objects.exists()
