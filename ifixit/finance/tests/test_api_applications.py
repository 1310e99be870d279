"""REST API v1 of finance, its applications: made with their monthly payment quoted, listed
and filtered, read with their figures and history, a draft changed, and moved through the
workflow; anonymous (401), a role without finance (403), a user of another location (404), the
wrong method (405), bad input (field-keyed 400 with nothing written) and fixed query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.finance.models import ApplicationEvent, FinanceApplication, Status
from ifixit.finance.tests.conftest import independent_monthly_payment, new_application, sold, url
from ifixit.inventory.models import Phase, Sale
from ifixit.testing.factories import CarFactory, CustomerFactory, FinanceApplicationFactory, LenderFactory, UserFactory

# --- Applications: create -------------------------------------------------------------------------


def test_it_makes_a_draft_application_with_its_quote(api, manager, customer, reserved_car, lender):
    response = api.post(
        url("api_finance_application_list"), new_application(customer, reserved_car, lender), format="json"
    )

    assert response.status_code == 201, response.json()
    application = FinanceApplication.objects.get()
    body = response.json()
    assert body["id"] == application.id
    assert (body["status"], body["status_display"], body["currency"]) == ("draft", "Draft", "GBP")
    assert (body["customer"], body["lender"]) == (
        {"id": customer.id, "name": "Jo Bloggs"},
        {"id": lender.id, "name": "Northern Motor Finance"},
    )
    assert body["car"]["id"] == reserved_car.id and body["location"]["code"] == "NTH"
    assert (body["cash_price"], body["deposit"], body["part_exchange"], body["amount_financed"]) == (
        "10000.00",
        "1000.00",
        "0.00",
        "9000.00",
    )
    assert (body["term_months"], body["apr"]) == (48, "9.9")
    assert body["monthly_payment"] == str(independent_monthly_payment(9000, 9.9, 48)) == "226.01"
    assert body["total_repayable"] == "10848.48" and body["charge_for_credit"] == "1848.48"
    assert body["salesperson"] == "nina" and body["created_by"] == "nina"
    assert body["allowed_next"] == ["submitted", "withdrawn"]
    assert body["waits_too_long"] is False and body["waiting_due_at"] is None
    assert body["typical_decision_hours"] == 24
    assert [(e["from_status"], e["to_status"], e["note"], e["by"]) for e in body["events"]] == [
        ("", "draft", "Customer wants it by Friday", "nina")
    ]
    assert application.monthly_payment == Decimal("226.01") and application.created_by == manager


def test_sales_staff_make_applications_too(sales_api, customer, reserved_car, lender):
    response = sales_api.post(
        url("api_finance_application_list"), new_application(customer, reserved_car, lender), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["salesperson"] == "sal"


@pytest.mark.parametrize(
    "changes, field, says",
    [
        ({"deposit": "10500.00"}, "deposit", "larger than the price"),
        ({"deposit": "6000.00", "part_exchange": "5000.00"}, "deposit", "more than the price"),
        ({"amount_financed": "8000.00"}, "amount_financed", "does not add up"),
        ({"deposit": "9800.00"}, "amount_financed", "at least"),
        ({"term_months": 3}, "term_months", "between 6 and 84 months"),
        ({"term_months": 120}, "term_months", "between 6 and 84 months"),
        ({"apr": "60"}, "apr", "between 0% and 49.9%"),
        ({"apr": "-1"}, "apr", "between 0% and 49.9%"),
        ({"cash_price": "0"}, "cash_price", "more than zero"),
        ({"deposit": "-5"}, "deposit", "cannot be negative"),
        ({"apr": "9.95"}, "apr", "decimal place"),
        ({"cash_price": "lots"}, "cash_price", "number"),
        ({"term_months": None}, "term_months", "null"),
    ],
)
def test_bad_figures_are_refused_by_field_and_write_nothing(api, customer, reserved_car, lender, changes, field, says):
    response = api.post(
        url("api_finance_application_list"), new_application(customer, reserved_car, lender, **changes), format="json"
    )

    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert says in " ".join(errors[field])
    assert not FinanceApplication.objects.exists() and not ApplicationEvent.objects.exists()


def test_an_application_must_be_for_a_car_customer_and_lender_the_user_may_use(
    api, customer, reserved_car, lender, south
):
    south_car = CarFactory(location=south, phase=Phase.RESERVED)
    south_customer = CustomerFactory(locations=[south])
    retired = LenderFactory(is_active=False)
    cases = [
        ({"car": south_car.id}, "car"),
        ({"customer": south_customer.id}, "customer"),
        ({"lender": retired.id}, "lender"),
        ({"lender": lender.id + 100}, "lender"),
    ]
    for changes, field in cases:
        response = api.post(
            url("api_finance_application_list"),
            {**new_application(customer, reserved_car, lender), **changes},
            format="json",
        )
        assert response.status_code == 400 and field in response.json(), (changes, response.json())
    assert not FinanceApplication.objects.exists()


def test_a_car_in_the_workshop_cannot_be_financed(api, customer, lender, north):
    car = CarFactory(location=north, phase=Phase.FIXING)
    response = api.post(url("api_finance_application_list"), new_application(customer, car, lender), format="json")
    assert response.status_code == 400 and "cannot be financed yet" in response.json()["car"][0]
    assert not FinanceApplication.objects.exists()


def test_a_sold_car_is_financed_at_its_sale_price(api, customer, reserved_car, lender):
    sold(reserved_car, customer, price="9500.00")
    response = api.post(
        url("api_finance_application_list"), new_application(customer, reserved_car, lender), format="json"
    )
    assert response.status_code == 400 and "sold for £9,500.00" in response.json()["cash_price"][0]
    assert not FinanceApplication.objects.exists()


# --- Applications: list ---------------------------------------------------------------------------


def test_it_lists_the_applications_of_the_users_locations_with_filters(api, north, south, lender):
    hours_ago = timezone.now() - timedelta(hours=30)
    bank = LenderFactory(name="Alpha Bank")
    draft = FinanceApplicationFactory(
        car=CarFactory(location=north), lender=lender, customer=CustomerFactory(name="Ann Able")
    )
    late = FinanceApplicationFactory(
        car=CarFactory(location=north, registration="AB12CDE"),
        lender=bank,
        status=Status.SUBMITTED,
        status_changed_at=hours_ago,
        waiting_due_at=hours_ago + timedelta(hours=24),
        lender_reference="REF-77",
    )
    funded = FinanceApplicationFactory(car=CarFactory(location=north), lender=lender, status=Status.FUNDED)
    FinanceApplicationFactory(car=CarFactory(location=south), lender=lender)  # never seen from North

    def ids(**params):
        response = api.get(url("api_finance_application_list"), params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {draft.id, late.id, funded.id}
    assert ids(status="open") == {draft.id, late.id}
    assert ids(status="funded") == {funded.id}
    assert ids(lender=bank.id) == {late.id}
    assert ids(location=north.id) == {draft.id, late.id, funded.id}
    assert ids(waiting="true") == {late.id}
    assert ids(q="ab12 cde") == ids(q="REF-77") == {late.id}
    assert ids(q="ann") == {draft.id}

    row = next(r for r in api.get(url("api_finance_application_list")).json()["results"] if r["id"] == late.id)
    assert (row["status"], row["waits_too_long"], row["lender"]["name"], row["car"]["registration"]) == (
        "submitted",
        True,
        "Alpha Bank",
        "AB12CDE",
    )
    assert row["url"] == "http://testserver" + url("api_finance_application_detail", late.id)


def test_the_list_refuses_a_location_the_user_may_not_see_and_bad_filters(api, south):
    assert api.get(url("api_finance_application_list"), {"location": south.id}).status_code == 404
    response = api.get(url("api_finance_application_list"), {"status": "paid"})
    assert response.status_code == 400 and "status" in response.json()


def test_the_list_runs_a_fixed_number_of_queries(api_for, manager, north):
    def add_applications(n):
        for _ in range(n):
            FinanceApplicationFactory(car=CarFactory(location=north), customer=CustomerFactory(locations=[north]))

    def count_queries() -> tuple[int, int]:
        client = api_for(User.objects.get(pk=manager.pk))  # permissions are cached on the user object
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url("api_finance_application_list"))
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    count_queries()  # the first request caches the user's permissions (ifixit/accounts/permissions.py)
    add_applications(2)
    few, two = count_queries()
    add_applications(8)
    many, ten = count_queries()
    assert (two, ten) == (2, 10)
    # The page's count and its rows (everything shown selected).
    assert few == many == 2


# --- Applications: detail, change, move -------------------------------------------------------------


def test_the_detail_shows_the_wait_and_the_history(api, manager, north, lender):
    changed = timezone.now() - timedelta(hours=30)
    application = FinanceApplicationFactory(
        car=CarFactory(location=north),
        lender=lender,
        status=Status.SUBMITTED,
        status_changed_at=changed,
        waiting_due_at=changed + timedelta(hours=24),
        submitted_at=changed,
    )
    ApplicationEvent.objects.create(
        application=application, from_status="", to_status="draft", at=changed - timedelta(hours=1), by=manager
    )
    ApplicationEvent.objects.create(
        application=application, from_status="draft", to_status="submitted", note="Sent", at=changed, by=None
    )

    response = api.get(url("api_finance_application_detail", application.id))

    assert response.status_code == 200
    body = response.json()
    assert body["waits_too_long"] is True and body["typical_decision_hours"] == 24
    assert 30 * 3600 <= body["waiting_seconds"] < 31 * 3600
    assert body["allowed_next"] == ["referred", "approved", "declined", "withdrawn"]
    assert [(e["from_status"], e["to_status"], e["note"], e["by"]) for e in body["events"]] == [
        ("", "draft", "", "nina"),
        ("draft", "submitted", "Sent", None),
    ]


def test_a_closed_application_does_not_wait(api, north):
    application = FinanceApplicationFactory(car=CarFactory(location=north), status=Status.DECLINED)
    body = api.get(url("api_finance_application_detail", application.id)).json()
    assert (body["waiting_seconds"], body["waits_too_long"], body["allowed_next"]) == (None, False, [])


def test_the_detail_runs_a_fixed_number_of_queries(api_for, manager, north):
    application = FinanceApplicationFactory(car=CarFactory(location=north))

    def count_queries() -> int:
        client = api_for(User.objects.get(pk=manager.pk))  # permissions are cached on the user object
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("api_finance_application_detail", application.id)).status_code == 200
        return len(ctx.captured_queries)

    ApplicationEvent.objects.create(application=application, to_status="draft", by=manager)
    count_queries()  # the first request caches the user's permissions: ifixit/accounts/permissions.py
    few = count_queries()
    for n in range(8):
        ApplicationEvent.objects.create(application=application, to_status="draft", note=f"{n}", by=UserFactory())
    assert count_queries() == few


def test_a_draft_is_changed_and_requoted(api, north, lender):
    application = FinanceApplicationFactory(car=CarFactory(location=north, phase=Phase.RESERVED), lender=lender)
    other = LenderFactory(name="Alpha Bank")

    response = api.patch(
        url("api_finance_application_detail", application.id),
        {"deposit": "0", "amount_financed": None, "lender": other.id, "lender_reference": "Q-1"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["amount_financed"], body["lender"]["name"], body["lender_reference"]) == (
        "10000.00",
        "Alpha Bank",
        "Q-1",
    )
    assert body["monthly_payment"] == str(independent_monthly_payment(10000, 9.9, 48)) == "251.12"
    application.refresh_from_db()
    assert (application.amount_financed, application.monthly_payment, application.lender) == (
        Decimal("10000.00"),
        Decimal("251.12"),
        other,
    )


def test_a_change_that_does_not_add_up_or_to_a_submitted_application_is_refused(api, north):
    draft = FinanceApplicationFactory(car=CarFactory(location=north, phase=Phase.RESERVED))
    # The amount financed stays as it was unless sent again, so it no longer adds up.
    response = api.patch(url("api_finance_application_detail", draft.id), {"deposit": "2000"}, format="json")
    assert response.status_code == 400 and "does not add up" in response.json()["amount_financed"][0]
    response = api.patch(url("api_finance_application_detail", draft.id), {"term_months": 120}, format="json")
    assert response.status_code == 400 and "term_months" in response.json()
    response = api.patch(url("api_finance_application_detail", draft.id), {"status": "funded"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    draft.refresh_from_db()
    assert (draft.deposit, draft.term_months, draft.status) == (Decimal("1000.00"), 48, Status.DRAFT)

    submitted = FinanceApplicationFactory(car=CarFactory(location=north, phase=Phase.RESERVED), status=Status.SUBMITTED)
    response = api.patch(url("api_finance_application_detail", submitted.id), {"apr": "8.9"}, format="json")
    assert response.status_code == 409 and "Only a draft" in response.json()["status"][0]
    submitted.refresh_from_db()
    assert submitted.apr == Decimal("9.9")


def test_an_application_moves_through_its_workflow(api, north, customer, lender):
    application = FinanceApplicationFactory(
        car=CarFactory(location=north, phase=Phase.RESERVED), customer=customer, lender=lender
    )
    move_url = url("api_finance_application_move", application.id)

    response = api.post(move_url, {"to_status": "submitted", "lender_reference": "NMF-123"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["lender_reference"], body["allowed_next"]) == (
        "submitted",
        "NMF-123",
        ["referred", "approved", "declined", "withdrawn"],
    )
    assert body["waiting_due_at"] is not None and body["submitted_at"] is not None

    response = api.post(move_url, {"to_status": "approved", "note": "Approved at 9.9%"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["decision"]) == ("approved", "approved")
    assert [(e["from_status"], e["to_status"], e["note"]) for e in body["events"]] == [
        ("draft", "submitted", ""),
        ("submitted", "approved", "Approved at 9.9%"),
    ]


@pytest.mark.parametrize(
    "status, body, answer, field, says",
    [
        # The workflow refuses the move from where the application is: a conflict with its state.
        (Status.DRAFT, {"to_status": "funded"}, 409, "to_status", "cannot become funded"),
        (Status.DECLINED, {"to_status": "submitted"}, 409, "to_status", "cannot become submitted"),
        (Status.SUBMITTED, {"to_status": "declined", "note": " "}, 400, "note", "what the lender said"),
        (Status.SUBMITTED, {"to_status": "withdrawn"}, 400, "note", "why"),
        (
            Status.SUBMITTED,
            {"to_status": "approved", "car_outcome": "listed"},
            400,
            "car_outcome",
            "Choose what happens",
        ),
        (Status.SUBMITTED, {"to_status": "paid"}, 400, "to_status", "not a valid choice"),
        (Status.CONTRACT_SIGNED, {"to_status": "funded"}, 400, "to_status", "Record the sale on finance first"),
    ],
)
def test_a_forbidden_move_is_refused_and_writes_nothing(api, north, status, body, answer, field, says):
    application = FinanceApplicationFactory(car=CarFactory(location=north, phase=Phase.RESERVED), status=status)
    before = application.status_changed_at

    response = api.post(url("api_finance_application_move", application.id), body, format="json")

    assert response.status_code == answer
    assert says in " ".join(response.json()[field]), response.json()
    application.refresh_from_db()
    assert (application.status, application.status_changed_at) == (status, before)
    assert not ApplicationEvent.objects.exists()


def test_a_second_funded_application_for_one_car_is_refused(api, north, customer, reserved_car):
    sold(reserved_car, customer)
    first = FinanceApplicationFactory(car=reserved_car, customer=customer, status=Status.CONTRACT_SIGNED)
    second = FinanceApplicationFactory(car=reserved_car, customer=customer, status=Status.CONTRACT_SIGNED)
    assert (
        api.post(url("api_finance_application_move", first.id), {"to_status": "funded"}, format="json").status_code
        == 200
    )
    second.refresh_from_db()
    assert second.status == Status.WITHDRAWN  # funding the first withdrew it

    # Even a second signed contract made afterwards cannot be funded.
    third = FinanceApplicationFactory(car=reserved_car, customer=customer, status=Status.CONTRACT_SIGNED)
    response = api.post(url("api_finance_application_move", third.id), {"to_status": "funded"}, format="json")
    assert response.status_code == 400 and "already funded" in response.json()["to_status"][0]
    third.refresh_from_db()
    assert third.status == Status.CONTRACT_SIGNED
    assert FinanceApplication.objects.filter(car=reserved_car, status=Status.FUNDED).get() == first


def test_a_declined_finance_can_put_the_sold_car_back_on_sale(api, manager, customer, reserved_car):
    sold(reserved_car, customer, by=manager)
    application = FinanceApplicationFactory(car=reserved_car, customer=customer, status=Status.SUBMITTED)

    response = api.post(
        url("api_finance_application_move", application.id),
        {"to_status": "declined", "note": "Affordability", "car_outcome": "listed"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "declined"
    reserved_car.refresh_from_db()
    assert reserved_car.phase == Phase.LISTED and not Sale.objects.exists()


def test_applications_refuse_anonymous_the_workshop_and_the_wrong_method(
    anon, api, workshop_api, north, customer, lender, assert_unauthenticated
):
    application = FinanceApplicationFactory(car=CarFactory(location=north, phase=Phase.RESERVED))
    car = CarFactory(location=north, phase=Phase.RESERVED)
    calls = [
        ("get", url("api_finance_application_list"), None),
        ("post", url("api_finance_application_list"), new_application(customer, car, lender)),
        ("get", url("api_finance_application_detail", application.id), None),
        ("patch", url("api_finance_application_detail", application.id), {"apr": "1.0"}),
        ("post", url("api_finance_application_move", application.id), {"to_status": "submitted"}),
        ("post", url("api_finance_quote"), {"cash_price": "10000", "term_months": 48, "apr": "9.9"}),
        ("get", url("api_finance_figures"), None),
    ]
    for method, path, body in calls:
        assert_unauthenticated(getattr(anon, method)(path, body, format="json"))
        assert getattr(workshop_api, method)(path, body, format="json").status_code == 403, (method, path)
    assert api.delete(url("api_finance_application_detail", application.id)).status_code == 405
    assert api.get(url("api_finance_application_move", application.id)).status_code == 405
    assert api.get(url("api_finance_quote")).status_code == 405
    application.refresh_from_db()
    assert (application.status, application.apr) == (Status.DRAFT, Decimal("9.9"))
    assert FinanceApplication.objects.count() == 1 and not ApplicationEvent.objects.exists()


def test_another_locations_application_does_not_exist_for_the_user(outsider_api, north):
    application = FinanceApplicationFactory(car=CarFactory(location=north, phase=Phase.RESERVED))

    assert outsider_api.get(url("api_finance_application_detail", application.id)).status_code == 404
    response = outsider_api.patch(url("api_finance_application_detail", application.id), {"apr": "bad"}, format="json")
    assert response.status_code == 404  # before the body is read
    move = outsider_api.post(
        url("api_finance_application_move", application.id), {"to_status": "submitted"}, format="json"
    )
    assert move.status_code == 404
    assert outsider_api.get(url("api_finance_application_list")).json()["count"] == 0
    application.refresh_from_db()
    assert application.status == Status.DRAFT and not ApplicationEvent.objects.exists()
