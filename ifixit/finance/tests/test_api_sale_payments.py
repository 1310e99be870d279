"""The payment and delivery parts of the sale API with finance: a sale on finance with a
part-exchange, delivered only once funded, switched to cash (its applications withdrawn); and
the schema, which validates without warnings and has finance's paths."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from ifixit.finance.models import Status
from ifixit.finance.tests.conftest import new_application, sold, url
from ifixit.inventory.models import Car, Payment, Phase, Sale
from ifixit.testing.factories import FinanceApplicationFactory

# --- Sales: payment, part-exchange, delivery -----------------------------------------------------------


def test_a_sale_on_finance_with_a_part_exchange_waits_for_delivery(api, customer, reserved_car):
    body = {
        "sold_on": str(timezone.localdate()),
        "price": "10000.00",
        "customer": customer.id,
        "payment": "finance",
        "part_exchange_allowance": "1500.00",
        "part_exchange_registration": "ab51 xyz",
        "part_exchange_description": "2012 Ford Fiesta",
    }
    response = api.post(url("api_car_sale", reserved_car.id), body, format="json")

    assert response.status_code == 201, response.json()
    sale = response.json()["sale"]
    assert (sale["payment"], sale["payment_display"]) == ("finance", "Finance + part-exchange")
    assert (sale["part_exchange_allowance"], sale["part_exchange_registration"], sale["balance_due"]) == (
        "1500.00",
        "AB51XYZ",
        "8500.00",
    )
    assert sale["part_exchange_description"] == "2012 Ford Fiesta"
    assert sale["delivered_at"] is None and sale["delivered_by"] is None
    assert Sale.objects.get().payment == Payment.FINANCE


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"customer": None}, "payment"),  # finance needs the customer on file
        ({"payment": "cheque"}, "payment"),
        ({"part_exchange_allowance": "10500.00", "part_exchange_registration": "AB51XYZ"}, "part_exchange_allowance"),
        ({"part_exchange_allowance": "-1.00"}, "part_exchange_allowance"),
        ({"part_exchange_allowance": "500.00"}, "part_exchange_registration"),  # which car was it?
    ],
)
def test_a_bad_payment_is_refused_and_writes_nothing(api, customer, reserved_car, changes, field):
    body = {
        "sold_on": str(timezone.localdate()),
        "price": "10000.00",
        "customer": customer.id,
        "payment": "finance",
        **changes,
    }
    response = api.post(url("api_car_sale", reserved_car.id), body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Sale.objects.exists()
    reserved_car.refresh_from_db()
    assert reserved_car.phase == Phase.RESERVED


def test_a_finance_sale_is_delivered_only_once_funded(api, manager, customer, reserved_car, lender):
    sale_body = {
        "sold_on": str(timezone.localdate()),
        "price": "10000.00",
        "customer": customer.id,
        "payment": "finance",
    }
    assert api.post(url("api_car_sale", reserved_car.id), sale_body, format="json").status_code == 201
    created = api.post(
        url("api_finance_application_list"), new_application(customer, reserved_car, lender), format="json"
    )
    assert created.status_code == 201, created.json()
    application_id = created.json()["id"]

    refused = api.post(url("api_car_sale_deliver", reserved_car.id))
    assert refused.status_code == 400 and "once its finance application is funded" in refused.json()["sale"][0]
    assert Sale.objects.get().delivered_at is None

    for to_status in ("submitted", "approved", "contract_signed", "funded"):
        moved = api.post(url("api_finance_application_move", application_id), {"to_status": to_status}, format="json")
        assert moved.status_code == 200, (to_status, moved.json())

    response = api.post(url("api_car_sale_deliver", reserved_car.id))
    assert response.status_code == 200, response.json()
    sale = Sale.objects.get()
    assert response.json()["sale"]["delivered_by"] == "nina" and sale.delivered_by == manager
    assert response.json()["sale"]["delivered_at"] is not None
    again = api.post(url("api_car_sale_deliver", reserved_car.id))
    assert again.status_code == 400 and "already delivered" in again.json()["sale"][0]


def test_a_finance_sale_switched_to_cash_withdraws_its_applications_and_can_be_delivered(api, customer, reserved_car):
    sold(reserved_car, customer)
    application = FinanceApplicationFactory(car=reserved_car, customer=customer, status=Status.SUBMITTED)

    missing = api.post(url("api_car_sale_switch_to_cash", reserved_car.id), {}, format="json")
    assert missing.status_code == 400 and "note" in missing.json()
    assert Sale.objects.get().payment == Payment.FINANCE

    response = api.post(
        url("api_car_sale_switch_to_cash", reserved_car.id), {"note": "Paid by bank transfer"}, format="json"
    )

    assert response.status_code == 200, response.json()
    sale = response.json()["sale"]
    assert (sale["payment"], sale["payment_note"], sale["payment_changed_by"]) == (
        "cash",
        "Paid by bank transfer",
        "nina",
    )
    assert sale["payment_changed_at"] is not None
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN
    assert api.post(url("api_car_sale_deliver", reserved_car.id)).status_code == 200
    again = api.post(url("api_car_sale_switch_to_cash", reserved_car.id), {"note": "Again"}, format="json")
    assert again.status_code == 400 and "not on finance" in again.json()["note"][0]


def test_a_funded_finance_sale_cannot_become_cash(api, customer, reserved_car):
    sold(reserved_car, customer)
    FinanceApplicationFactory(car=reserved_car, customer=customer, status=Status.FUNDED)
    response = api.post(url("api_car_sale_switch_to_cash", reserved_car.id), {"note": "Changed mind"}, format="json")
    assert response.status_code == 409 and "already funded" in response.json()["note"][0]
    assert Sale.objects.get().payment == Payment.FINANCE


def test_delivery_and_switching_refuse_anonymous_the_outsider_the_workshop_and_get(
    anon, api, outsider_api, workshop_api, customer, reserved_car, assert_unauthenticated
):
    sold(reserved_car, customer)
    for name, body in (("api_car_sale_deliver", {}), ("api_car_sale_switch_to_cash", {"note": "Cash"})):
        path = url(name, reserved_car.id)
        assert_unauthenticated(anon.post(path, body, format="json"))
        assert outsider_api.post(path, body, format="json").status_code == 404
        assert workshop_api.post(path, body, format="json").status_code == 403
        assert api.get(path).status_code == 405
    sale = Sale.objects.get()
    assert (sale.payment, sale.delivered_at) == (Payment.FINANCE, None)


def test_an_unsold_car_cannot_be_delivered(api, reserved_car):
    response = api.post(url("api_car_sale_deliver", reserved_car.id))
    assert response.status_code == 409 and "has not been sold" in response.json()["sale"][0]
    assert Car.objects.get(pk=reserved_car.pk).phase == Phase.RESERVED


# --- Schema ---------------------------------------------------------------------------------------------


def test_the_schema_validates_without_warnings_and_has_finance(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for path in (
        "/api/v1/lenders/{lender_id}/",
        "/api/v1/finance/applications/{application_id}/move/",
        "/api/v1/finance/quote/",
        "/api/v1/finance/figures/",
        "/api/v1/cars/{car_id}/sale/deliver/",
        "/api/v1/cars/{car_id}/sale/switch-to-cash/",
    ):
        assert path in schema
