"""REST API v1 of finance, its lenders: listed by name, added and changed by managers and
admins only; anonymous (401), a role without finance (403), no such lender (404), the wrong
method (405) and bad input by field."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ifixit.finance.models import Lender, Status
from ifixit.finance.tests.conftest import url
from ifixit.testing.factories import CarFactory, FinanceApplicationFactory, LenderFactory

# --- Lenders -----------------------------------------------------------------------------------


def test_it_lists_the_active_lenders_by_name_and_all_when_asked(sales_api, db):
    LenderFactory(name="Zenith Auto Credit")
    LenderFactory(name="Alpha Bank", kind=Lender.Kind.BANK)
    LenderFactory(name="Gone Finance", is_active=False)

    response = sales_api.get(url("api_lender_list"))

    assert response.status_code == 200
    body = response.json()
    assert [row["name"] for row in body["results"]] == ["Alpha Bank", "Zenith Auto Credit"]
    first = body["results"][0]
    assert (first["kind"], first["kind_display"], first["is_active"]) == ("bank", "Bank", True)
    assert first["url"] == "http://testserver" + url("api_lender_detail", first["id"])
    every = sales_api.get(url("api_lender_list"), {"include_inactive": "1"}).json()["results"]
    assert [row["name"] for row in every] == ["Alpha Bank", "Gone Finance", "Zenith Auto Credit"]


def test_a_manager_adds_a_lender_normalised(api):
    body = {
        "name": " Moorland Finance ",
        "kind": "finance_house",
        "phone": "020 7946 0123",
        "email": "Deals@Moorland.Example",
        "typical_decision_hours": 6,
    }
    response = api.post(url("api_lender_list"), body, format="json")

    assert response.status_code == 201, response.json()
    lender = Lender.objects.get()
    assert (lender.name, lender.phone, lender.email, lender.typical_decision_hours) == (
        "Moorland Finance",
        "+442079460123",
        "deals@moorland.example",
        6,
    )
    assert response.json()["id"] == lender.id and response.json()["phone"] == "+442079460123"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": "northern motor finance"}, "name"),  # taken, whatever the case
        ({"kind": "pawnbroker"}, "kind"),
        ({"typical_decision_hours": 0}, "typical_decision_hours"),
        ({"typical_decision_hours": 1000}, "typical_decision_hours"),
        ({"email": "not an email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_lender_is_refused_by_field_and_writes_nothing(api, lender, changes, field):
    response = api.post(url("api_lender_list"), {"name": "Moorland Finance", **changes}, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert list(Lender.objects.values_list("name", flat=True)) == ["Northern Motor Finance"]


def test_a_manager_changes_a_lender(api, lender):
    response = api.patch(
        url("api_lender_detail", lender.id), {"typical_decision_hours": 4, "notes": "Fast"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["typical_decision_hours"], response.json()["notes"]) == (4, "Fast")
    lender.refresh_from_db()
    assert (lender.typical_decision_hours, lender.notes, lender.name) == (4, "Fast", "Northern Motor Finance")


def test_a_lender_change_moves_the_due_time_of_the_applications_waiting_on_it(api, lender, north):
    changed = timezone.now() - timedelta(hours=5)
    waiting = FinanceApplicationFactory(
        lender=lender,
        car=CarFactory(location=north),
        status=Status.SUBMITTED,
        status_changed_at=changed,
        waiting_due_at=changed + timedelta(hours=24),
    )
    assert (
        api.patch(url("api_lender_detail", lender.id), {"typical_decision_hours": 4}, format="json").status_code == 200
    )
    waiting.refresh_from_db()
    assert waiting.waiting_due_at == changed + timedelta(hours=4)


def test_a_lender_change_refuses_unknown_fields_and_bad_values(api, lender):
    response = api.patch(url("api_lender_detail", lender.id), {"created_at": "2020-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 400 and "created_at" in response.json()
    response = api.patch(url("api_lender_detail", lender.id), {"website": "not a url"}, format="json")
    assert response.status_code == 400 and "website" in response.json()
    lender.refresh_from_db()
    assert lender.website == ""


def test_sales_staff_see_lenders_but_cannot_add_or_change_them(sales_api, lender):
    assert sales_api.get(url("api_lender_detail", lender.id)).json()["name"] == "Northern Motor Finance"
    assert sales_api.post(url("api_lender_list"), {"name": "Moorland Finance"}, format="json").status_code == 403
    assert sales_api.patch(url("api_lender_detail", lender.id), {"name": "Mine"}, format="json").status_code == 403
    assert list(Lender.objects.values_list("name", flat=True)) == ["Northern Motor Finance"]


def test_lenders_refuse_anonymous_the_workshop_a_missing_one_and_delete(
    anon, api, workshop_api, lender, assert_unauthenticated
):
    assert_unauthenticated(anon.get(url("api_lender_list")))
    assert_unauthenticated(anon.post(url("api_lender_list"), {"name": "X"}, format="json"))
    assert_unauthenticated(anon.get(url("api_lender_detail", lender.id)))
    assert workshop_api.get(url("api_lender_list")).status_code == 403
    assert workshop_api.get(url("api_lender_detail", lender.id)).status_code == 403
    assert workshop_api.post(url("api_lender_list"), {"name": "X"}, format="json").status_code == 403
    assert api.get(url("api_lender_detail", lender.id + 100)).status_code == 404
    assert api.patch(url("api_lender_detail", lender.id + 100), {"notes": "x"}, format="json").status_code == 404
    assert api.delete(url("api_lender_detail", lender.id)).status_code == 405
    assert Lender.objects.count() == 1
