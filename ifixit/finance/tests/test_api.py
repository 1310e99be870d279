"""REST API v1 of finance, and the payment and delivery parts of the sale API: every
endpoint for the happy path, anonymous (401), a role without finance (403), a user of
another location (404), the wrong method (405) and bad input (field-keyed 400 with
nothing written); the quote's arithmetic, fixed query counts, the figures and the schema."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from ifixit.accounts.models import User
from ifixit.finance.models import ApplicationEvent, FinanceApplication, Lender, Status
from ifixit.inventory.models import Car, Payment, Phase, Sale
from ifixit.testing.factories import CarFactory, CustomerFactory, FinanceApplicationFactory, LenderFactory, UserFactory

# --- Clients and helpers ---------------------------------------------------------------------


@pytest.fixture
def anon():
    return APIClient()


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def api(manager):
    return api_for(manager)


@pytest.fixture
def outsider_api(outsider):
    return api_for(outsider)


@pytest.fixture
def workshop_api(workshop_user):
    return api_for(workshop_user)


@pytest.fixture
def sales_api(sales_user):
    return api_for(sales_user)


def url(name, *args):
    return reverse(name, args=args)


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.fixture
def customer(north):
    return CustomerFactory(name="Jo Bloggs", locations=[north])


@pytest.fixture
def lender(db):
    return LenderFactory(name="Northern Motor Finance", typical_decision_hours=24)


@pytest.fixture
def reserved_car(north):
    return CarFactory(
        location=north,
        phase=Phase.RESERVED,
        make="Vauxhall",
        model="Corsa",
        registration="LM19XYZ",
        purchased_on=timezone.localdate() - timedelta(days=30),
        asking_price=Decimal("10000"),
    )


def new_application(customer, car, lender, **changes) -> dict:
    return {
        "customer": customer.id,
        "car": car.id,
        "lender": lender.id,
        "cash_price": "10000.00",
        "deposit": "1000.00",
        "term_months": 48,
        "apr": "9.9",
        "note": " Customer wants it by Friday ",
        **changes,
    }


def independent_monthly_payment(amount: float, apr_percent: float, months: int) -> Decimal:
    """The annuity instalment with a UK APR taken as an annual effective rate, worked out
    here in floats, apart from the calculator's Decimals."""
    rate = (1 + apr_percent / 100) ** (1 / 12) - 1
    return Decimal(str(round(amount * rate / (1 - (1 + rate) ** -months), 2)))


def sold(car, customer, *, payment=Payment.FINANCE, price="10000.00", by=None) -> Sale:
    """A sale written straight, not through the service: for the figures and for cars
    that are already sold when a test starts."""
    car.phase = Phase.SOLD
    car.save(update_fields=["phase"])
    return Sale.objects.create(
        car=car,
        customer=customer,
        location=car.location,
        sold_on=timezone.localdate(),
        price=Decimal(price),
        payment=payment,
        sold_by=by,
    )


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
    response = api.patch(url("api_lender_detail", lender.id), {"typical_decision_hours": 4, "notes": "Fast"}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["typical_decision_hours"], response.json()["notes"]) == (4, "Fast")
    lender.refresh_from_db()
    assert (lender.typical_decision_hours, lender.notes, lender.name) == (4, "Fast", "Northern Motor Finance")


def test_a_lender_change_moves_the_due_time_of_the_applications_waiting_on_it(api, lender, north):
    changed = timezone.now() - timedelta(hours=5)
    waiting = FinanceApplicationFactory(
        lender=lender, car=CarFactory(location=north), status=Status.SUBMITTED, status_changed_at=changed,
        waiting_due_at=changed + timedelta(hours=24),
    )
    assert api.patch(url("api_lender_detail", lender.id), {"typical_decision_hours": 4}, format="json").status_code == 200
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


def test_lenders_refuse_anonymous_the_workshop_a_missing_one_and_delete(anon, api, workshop_api, lender):
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
def test_bad_figures_are_refused_by_field_and_write_nothing(
    api, customer, reserved_car, lender, changes, field, says
):
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
            url("api_finance_application_list"), {**new_application(customer, reserved_car, lender), **changes}, format="json"
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
    draft = FinanceApplicationFactory(car=CarFactory(location=north), lender=lender, customer=CustomerFactory(name="Ann Able"))
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


def test_the_list_runs_a_fixed_number_of_queries(manager, north):
    def add_applications(n):
        for _ in range(n):
            FinanceApplicationFactory(car=CarFactory(location=north), customer=CustomerFactory(locations=[north]))

    def count_queries() -> tuple[int, int]:
        client = api_for(User.objects.get(pk=manager.pk))  # permissions are cached on the user object
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url("api_finance_application_list"))
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    add_applications(2)
    few, two = count_queries()
    add_applications(8)
    many, ten = count_queries()
    assert (two, ten) == (2, 10)
    # The user's permissions (2), the page's count and its rows (everything shown selected).
    assert few == many == 4


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


def test_the_detail_runs_a_fixed_number_of_queries(manager, north):
    application = FinanceApplicationFactory(car=CarFactory(location=north))

    def count_queries() -> int:
        client = api_for(User.objects.get(pk=manager.pk))  # permissions are cached on the user object
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("api_finance_application_detail", application.id)).status_code == 200
        return len(ctx.captured_queries)

    ApplicationEvent.objects.create(application=application, to_status="draft", by=manager)
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
    assert (body["amount_financed"], body["lender"]["name"], body["lender_reference"]) == ("10000.00", "Alpha Bank", "Q-1")
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
        (Status.SUBMITTED, {"to_status": "approved", "car_outcome": "listed"}, 400, "car_outcome", "Choose what happens"),
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
    assert api.post(url("api_finance_application_move", first.id), {"to_status": "funded"}, format="json").status_code == 200
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


def test_applications_refuse_anonymous_the_workshop_and_the_wrong_method(anon, api, workshop_api, north, customer, lender):
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
    move = outsider_api.post(url("api_finance_application_move", application.id), {"to_status": "submitted"}, format="json")
    assert move.status_code == 404
    assert outsider_api.get(url("api_finance_application_list")).json()["count"] == 0
    application.refresh_from_db()
    assert application.status == Status.DRAFT and not ApplicationEvent.objects.exists()


# --- Quote -------------------------------------------------------------------------------------------


def test_the_quote_uses_the_apr_as_an_effective_annual_rate(sales_api):
    # £10,000 over 48 months at 9.9% APR: 251.12 a month.
    response = sales_api.post(
        url("api_finance_quote"), {"cash_price": "10000", "term_months": 48, "apr": "9.9"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["monthly_payment"] == str(independent_monthly_payment(10000, 9.9, 48)) == "251.12"
    nominal = 0.099 / 12  # APR / 12 as the monthly rate: the mistake the effective rate avoids
    assert body["monthly_payment"] != f"{10000 * nominal / (1 - (1 + nominal) ** -48):.2f}"
    assert (body["amount_financed"], body["deposit"], body["part_exchange"], body["currency"]) == (
        "10000.00",
        "0.00",
        "0.00",
        "GBP",
    )
    assert body["total_repayable"] == "12053.76"  # 48 × 251.12
    assert body["total_payable"] == "12053.76"
    assert body["charge_for_credit"] == "2053.76"
    assert not FinanceApplication.objects.exists()


def test_the_quote_takes_off_the_deposit_and_part_exchange(sales_api):
    body = {"cash_price": "12000", "deposit": "1000", "part_exchange": "2000", "term_months": 48, "apr": "9.9"}
    quote = sales_api.post(url("api_finance_quote"), body, format="json").json()
    assert quote["amount_financed"] == "9000.00"
    assert quote["monthly_payment"] == str(independent_monthly_payment(9000, 9.9, 48)) == "226.01"
    assert quote["total_repayable"] == "10848.48"
    assert quote["total_payable"] == "13848.48"  # 1,000 + 2,000 + 48 × 226.01
    assert quote["charge_for_credit"] == "1848.48"


def test_interest_free_finance_is_the_amount_over_the_term(sales_api):
    body = {"cash_price": "9000", "term_months": 48, "apr": "0"}
    quote = sales_api.post(url("api_finance_quote"), body, format="json").json()
    assert (quote["monthly_payment"], quote["charge_for_credit"]) == ("187.50", "0.00")


@pytest.mark.parametrize(
    "changes, field, says",
    [
        ({"deposit": "10500"}, "deposit", "larger than the price"),
        ({"amount_financed": "5000"}, "amount_financed", "does not add up"),
        ({"term_months": 3}, "term_months", "between 6 and 84 months"),
        ({"term_months": 120}, "term_months", "between 6 and 84 months"),
        ({"apr": "60"}, "apr", "between 0% and 49.9%"),
        ({"cash_price": None}, "cash_price", "null"),
        # Not numbers a price can be, though Python's Decimal takes them.
        ({"cash_price": "NaN"}, "cash_price", "digits"),
        ({"apr": "Infinity"}, "apr", "digits"),
        ({"deposit": "1e100000"}, "deposit", "digits"),
    ],
)
def test_a_quote_of_bad_figures_says_what_is_wrong(sales_api, changes, field, says):
    body = {"cash_price": "10000", "deposit": "1000", "term_months": 48, "apr": "9.9", **changes}
    response = sales_api.post(url("api_finance_quote"), body, format="json")
    assert response.status_code == 400
    assert says in " ".join(response.json()[field]), response.json()


# --- Figures -----------------------------------------------------------------------------------------


def test_the_figures_cover_the_last_twelve_months_of_the_users_locations(api, manager, north, south, lender):
    today = timezone.localdate()
    customer = CustomerFactory(locations=[north])
    cash = sold(CarFactory(location=north), customer, payment=Payment.CASH, price="9000.00")
    cash.part_exchange_allowance = Decimal("1000.00")
    cash.save(update_fields=["part_exchange_allowance"])
    sold(CarFactory(location=north), customer, price="10000.00")
    sold(CarFactory(location=south), CustomerFactory(locations=[south]), price="8000.00")  # South's: not counted
    now = timezone.now()
    FinanceApplicationFactory(
        car=CarFactory(location=north), lender=lender, status=Status.FUNDED, submitted_at=now - timedelta(hours=30),
        decided_at=now - timedelta(hours=6), decision=Status.APPROVED, funded_at=now,
    )
    FinanceApplicationFactory(
        car=CarFactory(location=north), lender=lender, status=Status.DECLINED, submitted_at=now - timedelta(hours=20),
        decided_at=now - timedelta(hours=8), decision=Status.DECLINED,
    )
    south_lender = LenderFactory(name="Southern Credit")
    FinanceApplicationFactory(
        car=CarFactory(location=south), lender=south_lender, status=Status.APPROVED, submitted_at=now,
        decided_at=now, decision=Status.APPROVED,
    )

    response = api.get(url("api_finance_figures"))

    assert response.status_code == 200, response.json()
    body = response.json()
    first = date(today.year, today.month, 1) - relativedelta(months=11)
    assert (body["start"], body["end"], body["location"], body["currency"]) == (str(first), str(today), None, "GBP")
    assert len(body["months"]) == 12 and body["months"][0]["month"] == str(first)
    this_month = body["months"][-1]
    assert this_month["month"] == str(today.replace(day=1))
    assert (this_month["sales"], this_month["on_finance"], this_month["with_part_exchange"]) == (2, 1, 1)
    assert (this_month["revenue"], this_month["finance_revenue"], this_month["share"]) == ("19000.00", "10000.00", 0.5)
    assert body["months"][0]["share"] is None
    assert [(row["name"], row["location_id"], row["sales"]) for row in body["locations"]] == [("North Yard", north.id, 2)]
    assert body["totals"] == {
        "sales": 2, "on_finance": 1, "share": 0.5, "funded": 1, "funded_amount": "9000.00",
    }
    [row] = body["lenders"]
    assert row["lender"] == {"id": lender.id, "name": "Northern Motor Finance"}
    assert (row["submitted"], row["approved"], row["declined"], row["approval_rate"]) == (2, 1, 1, 0.5)
    assert row["median_decision_hours"] == pytest.approx(18.0)  # 24 and 12 hours
    assert (row["funded"], row["funded_amount"]) == (1, "9000.00")


def test_the_figures_of_one_location_and_a_range(api, admin_user, north, south):
    customer = CustomerFactory(locations=[north, south])
    sold(CarFactory(location=north), customer)
    sold(CarFactory(location=south), customer, payment=Payment.CASH)
    today = timezone.localdate()
    start = today - timedelta(days=3)

    body = api_for(admin_user).get(url("api_finance_figures"), {"location": south.id, "start": str(start)}).json()

    assert (body["start"], body["end"], body["location"]) == (str(start), str(today), south.id)
    assert body["totals"]["sales"] == 1 and body["totals"]["on_finance"] == 0 and body["totals"]["share"] == 0.0
    assert [row["name"] for row in body["locations"]] == ["South Yard"]


def test_the_figures_refuse_a_backwards_or_too_long_range_and_another_location(api, south):
    today = timezone.localdate()
    backwards = api.get(url("api_finance_figures"), {"start": str(today), "end": str(today - timedelta(days=1))})
    assert backwards.status_code == 400 and "end" in backwards.json()
    too_long = api.get(url("api_finance_figures"), {"start": "2000-01-01", "end": str(today)})
    assert too_long.status_code == 400 and "start" in too_long.json()
    assert api.get(url("api_finance_figures"), {"location": south.id}).status_code == 404
    assert api.get(url("api_finance_figures"), {"start": "last year"}).status_code == 400


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
    body = {"sold_on": str(timezone.localdate()), "price": "10000.00", "customer": customer.id, "payment": "finance", **changes}
    response = api.post(url("api_car_sale", reserved_car.id), body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Sale.objects.exists()
    reserved_car.refresh_from_db()
    assert reserved_car.phase == Phase.RESERVED


def test_a_finance_sale_is_delivered_only_once_funded(api, manager, customer, reserved_car, lender):
    sale_body = {"sold_on": str(timezone.localdate()), "price": "10000.00", "customer": customer.id, "payment": "finance"}
    assert api.post(url("api_car_sale", reserved_car.id), sale_body, format="json").status_code == 201
    created = api.post(url("api_finance_application_list"), new_application(customer, reserved_car, lender), format="json")
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
    assert (sale["payment"], sale["payment_note"], sale["payment_changed_by"]) == ("cash", "Paid by bank transfer", "nina")
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
    anon, api, outsider_api, workshop_api, customer, reserved_car
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
