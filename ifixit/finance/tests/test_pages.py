"""Finance pages: the happy paths, who may see what, wrong methods, bad input beside its
field, htmx fragments, and a fixed number of queries per list."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ifixit.finance.models import FinanceApplication, Lender, Status
from ifixit.inventory import services as inventory
from ifixit.inventory.models import Payment, Phase, Sale
from ifixit.testing.factories import CarFactory, CustomerFactory, FinanceApplicationFactory, LenderFactory


@pytest.fixture
def signed_in(client, sales_user):
    client.force_login(sales_user)
    return client


@pytest.fixture
def lender(db):
    return LenderFactory(name="Northgate Motor Finance", typical_decision_hours=4, phone="+441134960000")


@pytest.fixture
def customer(north):
    return CustomerFactory(name="Priya Shah", locations=[north])


@pytest.fixture
def sold_on_finance(sales_user, north, customer):
    car = CarFactory(location=north, phase=Phase.RESERVED, make="Skoda", model="Octavia")
    inventory.sale_record(
        user=sales_user,
        car_id=car.pk,
        sold_on=timezone.localdate(),
        price=Decimal(10000),
        customer_id=customer.pk,
        payment=Payment.FINANCE,
    )
    return car


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


# --- The board -------------------------------------------------------------------------------


def test_the_board_lists_applications_and_those_waiting_too_long_first(signed_in, sold_on_finance, customer, lender):
    late = FinanceApplicationFactory(
        car=sold_on_finance,
        customer=customer,
        lender=lender,
        status=Status.SUBMITTED,
        status_changed_at=timezone.now() - timedelta(hours=30),
        waiting_due_at=timezone.now() - timedelta(hours=26),
    )
    FinanceApplicationFactory(
        car=sold_on_finance, customer=customer, lender=LenderFactory(name="Harbour Bank"), status=Status.DRAFT
    )
    body = signed_in.get(reverse("finance_board")).content.decode()
    waiting = body.split('data-testid="waiting-too-long"')[1].split("</section>")[0]
    assert "Priya Shah" in waiting and "30 h" in waiting and "tel:+441134960000" in waiting
    assert body.count(f'href="/finance/applications/{late.pk}/"') == 2
    assert "Harbour Bank" in body


def test_the_board_filters_by_state_and_lender_with_an_htmx_fragment(
    signed_in, sold_on_finance, customer, lender, htmx
):
    FinanceApplicationFactory(car=sold_on_finance, customer=customer, lender=lender, status=Status.DECLINED)
    FinanceApplicationFactory(
        car=sold_on_finance, customer=customer, lender=LenderFactory(name="Harbour Bank"), status=Status.SUBMITTED
    )
    response = signed_in.get(reverse("finance_board") + "?status=open", HTTP_HX_TARGET="application-results", **htmx)
    body = response.content.decode()
    assert "<html" not in body and "Harbour Bank" in body and "Northgate" not in body
    body = signed_in.get(reverse("finance_board") + f"?lender={lender.pk}").content.decode()
    assert "1 application<" in body


def test_the_board_runs_a_fixed_number_of_queries(signed_in, north, lender):
    def add(n):
        for _ in range(n):
            buyer = CustomerFactory(locations=[north])
            FinanceApplicationFactory(
                car=CarFactory(location=north, phase=Phase.LISTED),
                customer=buyer,
                lender=lender,
                status=Status.SUBMITTED,
                status_changed_at=timezone.now() - timedelta(hours=9),
                waiting_due_at=timezone.now() - timedelta(hours=5),
            )

    add(2)
    # The first request caches the user's permissions: ifixit/accounts/permissions.py
    count_queries(signed_in, reverse("finance_board"))
    few = count_queries(signed_in, reverse("finance_board"))
    add(10)
    assert count_queries(signed_in, reverse("finance_board")) == few


def test_workshop_staff_and_strangers_are_kept_out(client, workshop_user):
    assert client.get(reverse("finance_board")).status_code == 302
    client.force_login(workshop_user)
    for name in ("finance_board", "finance_figures", "lender_list", "finance_application_create"):
        assert client.get(reverse(name)).status_code == 403, name


def test_another_locations_applications_are_not_listed(client, outsider, sold_on_finance, customer, lender):
    FinanceApplicationFactory(car=sold_on_finance, customer=customer, lender=lender)
    client.force_login(outsider)
    assert "Priya Shah" not in client.get(reverse("finance_board")).content.decode()


# --- Applying --------------------------------------------------------------------------------------


def test_a_finance_application_is_made_from_the_car_page(signed_in, sold_on_finance, customer, lender):
    page = signed_in.get(reverse("car_detail", args=[sold_on_finance.pk])).content.decode()
    assert "Not yet: waiting for the finance to be funded" in page
    start = reverse("finance_application_create") + f"?car={sold_on_finance.pk}&customer={customer.pk}"
    assert f'href="{start.replace("&", "&amp;")}"' in page
    form = signed_in.get(start).content.decode()
    assert 'data-testid="chosen-customer">Priya Shah<' in form and 'value="10000.00"' in form
    data = {
        "car": sold_on_finance.pk,
        "customer": customer.pk,
        "lender": lender.pk,
        "cash_price": "10000",
        "deposit": "1000",
        "term_months": "48",
        "apr": "9.9",
        "note": "Prefers 4 years",
    }
    calculated = signed_in.post(start, {**data, "calculate": "1"})
    assert calculated.status_code == 200 and "£226.01 a month" in calculated.content.decode()
    assert not FinanceApplication.objects.exists()
    response = signed_in.post(start, data)
    application = FinanceApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "finance_application_detail", args=[application.pk]
    )
    assert (application.status, application.monthly_payment) == (Status.DRAFT, Decimal("226.01"))


def test_the_live_quote_is_an_htmx_fragment(signed_in, htmx):
    response = signed_in.post(
        reverse("finance_quote"), {"cash_price": "10000", "deposit": "1000", "term_months": "48", "apr": "9.9"}, **htmx
    )
    body = response.content.decode()
    assert "<html" not in body and "£226.01 a month" in body and "charge for credit £1,848.48" in body
    bad = signed_in.post(
        reverse("finance_quote"), {"cash_price": "10000", "deposit": "12000", "term_months": "48", "apr": "9.9"}, **htmx
    )
    assert "larger than the price" in bad.content.decode()
    assert signed_in.get(reverse("finance_quote")).status_code == 405


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"deposit": "11000"}, "deposit", "larger than the price"),
        ({"amount_financed": "9500"}, "amount_financed", "does not add up"),
        ({"term_months": "120"}, "term_months", "between 6 and 84"),
        ({"apr": "75"}, "apr", "between 0% and 49.9%"),
    ],
)
def test_bad_figures_are_shown_beside_their_field_and_nothing_is_saved(
    changes, field, message, signed_in, sold_on_finance, customer, lender
):
    data = {
        "car": sold_on_finance.pk,
        "customer": customer.pk,
        "lender": lender.pk,
        "cash_price": "10000",
        "deposit": "1000",
        "term_months": "48",
        "apr": "9.9",
        **changes,
    }
    response = signed_in.post(reverse("finance_application_create") + f"?car={sold_on_finance.pk}", data)
    body = response.content.decode()
    assert response.status_code == 400 and f'id="id_{field}-error"' in body and message in body
    assert not FinanceApplication.objects.exists()


def test_an_application_needs_a_customer_and_a_car_of_the_users_locations(signed_in, north, south, lender):
    listed = CarFactory(location=north, phase=Phase.LISTED, asking_price=Decimal(8000))
    page = signed_in.get(reverse("finance_application_create") + f"?car={listed.pk}").content.decode()
    assert "Find by name, email or phone" in page
    response = signed_in.post(
        reverse("finance_application_create") + f"?car={listed.pk}",
        {"car": listed.pk, "lender": lender.pk, "cash_price": "8000", "term_months": "36", "apr": "7.9"},
    )
    assert response.status_code == 400 and "Choose the customer who applies" in response.content.decode()
    theirs = CarFactory(location=south, phase=Phase.LISTED)
    assert signed_in.get(reverse("finance_application_create") + f"?car={theirs.pk}").status_code == 404
    assert not FinanceApplication.objects.exists()


# --- The application's page and its workflow --------------------------------------------------------


def test_the_application_moves_through_its_states_and_shows_its_history(signed_in, sold_on_finance, customer, lender):
    application = FinanceApplicationFactory(car=sold_on_finance, customer=customer, lender=lender)
    url = reverse("finance_application_move", args=[application.pk])
    for step, extra in [
        ("submitted", {"lender_reference": "NG-1234"}),
        ("approved", {}),
        ("contract_signed", {}),
        ("funded", {}),
    ]:
        response = signed_in.post(url, {"to_status": step, "note": f"step {step}", **extra})
        assert response.status_code == 302, step
    page = signed_in.get(reverse("finance_application_detail", args=[application.pk])).content.decode()
    assert 'data-testid="application-status">Funded<' in page and "ref. NG-1234" in page
    history = page.split('data-testid="application-history"')[1].split("</ol>")[0]
    assert [s in history for s in ("step submitted", "step approved", "step contract_signed", "step funded")] == [
        True
    ] * 4
    car_page = signed_in.post(reverse("sale_deliver", args=[sold_on_finance.pk]))
    assert car_page.status_code == 302 and Sale.objects.get().delivered_at is not None


def test_a_forbidden_move_is_refused_on_the_page(signed_in, sold_on_finance, customer, lender):
    application = FinanceApplicationFactory(car=sold_on_finance, customer=customer, lender=lender)
    response = signed_in.post(reverse("finance_application_move", args=[application.pk]), {"to_status": "funded"})
    assert response.status_code == 400 and "cannot become funded" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert signed_in.get(reverse("finance_application_move", args=[application.pk])).status_code == 405


def test_a_decline_asks_what_happens_to_the_car_and_can_list_it_again(signed_in, sold_on_finance, customer, lender):
    application = FinanceApplicationFactory(
        car=sold_on_finance, customer=customer, lender=lender, status=Status.SUBMITTED
    )
    page = signed_in.get(reverse("finance_application_detail", args=[application.pk])).content.decode()
    decline = page.split('data-testid="move-declined"')[1].split("</details>")[0]
    assert "Back to listed" in decline and "Back to reserved" in decline
    missing_note = signed_in.post(
        reverse("finance_application_move", args=[application.pk]), {"to_status": "declined", "car_outcome": "listed"}
    )
    assert missing_note.status_code == 400 and "Say what the lender said" in missing_note.content.decode()
    response = signed_in.post(
        reverse("finance_application_move", args=[application.pk]),
        {"to_status": "declined", "note": "Credit score", "car_outcome": "listed"},
    )
    assert response.status_code == 302
    sold_on_finance.refresh_from_db()
    assert sold_on_finance.phase == Phase.LISTED and not Sale.objects.exists()


def test_a_draft_s_figures_can_be_changed_and_a_submitted_one_s_cannot(signed_in, sold_on_finance, customer, lender):
    application = FinanceApplicationFactory(car=sold_on_finance, customer=customer, lender=lender)
    url = reverse("finance_application_edit", args=[application.pk])
    response = signed_in.post(
        url, {"lender": lender.pk, "cash_price": "10000", "deposit": "2500", "term_months": "36", "apr": "8.9"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.amount_financed, application.term_months) == (Decimal(7500), 36)
    application.status = Status.SUBMITTED
    application.save()
    assert signed_in.get(url).status_code == 302


# --- Sale, delivery, switch to cash ------------------------------------------------------------------


def test_the_sale_form_records_finance_and_a_part_exchange(signed_in, north, customer):
    listed = CarFactory(location=north, phase=Phase.LISTED)
    response = signed_in.post(
        reverse("sale_record", args=[listed.pk]),
        {
            "sold_on": timezone.localdate().isoformat(),
            "price": "9400",
            "customer": customer.pk,
            "expected_phase": "listed",
            "payment": "finance",
            "part_exchange_allowance": "1200",
            "part_exchange_registration": "ab12 cde",
            "part_exchange_description": "2014 Ford Fiesta",
        },
    )
    assert response.status_code == 302
    sale = Sale.objects.get()
    assert (sale.payment, sale.part_exchange_allowance, sale.part_exchange_registration) == (
        Payment.FINANCE,
        Decimal(1200),
        "AB12CDE",
    )
    page = signed_in.get(reverse("car_detail", args=[listed.pk])).content.decode()
    assert 'data-testid="sale-payment">Finance + part-exchange<' in page and "New finance application" in page


def test_a_sale_form_without_a_payment_or_with_too_big_a_part_exchange_is_refused(signed_in, north, customer):
    listed = CarFactory(location=north, phase=Phase.LISTED)
    data = {
        "sold_on": timezone.localdate().isoformat(),
        "price": "9400",
        "customer": customer.pk,
        "expected_phase": "listed",
    }
    missing = signed_in.post(reverse("sale_record", args=[listed.pk]), data)
    assert (
        missing.status_code == 400
        and 'id="id_payment_0-error"' in missing.content.decode()
        or "Say how the customer pays" in missing.content.decode()
    )
    too_big = signed_in.post(
        reverse("sale_record", args=[listed.pk]),
        {**data, "payment": "cash", "part_exchange_allowance": "9500", "part_exchange_registration": "AB12CDE"},
    )
    assert too_big.status_code == 400 and "cannot be more than the price" in too_big.content.decode()
    assert not Sale.objects.exists()


def test_delivery_is_refused_until_funded_and_switching_to_cash_allows_it(signed_in, sold_on_finance):
    refused = signed_in.post(reverse("sale_deliver", args=[sold_on_finance.pk]))
    assert refused.status_code == 400 and "once its finance application is funded" in refused.content.decode()
    assert Sale.objects.get().delivered_at is None
    no_note = signed_in.post(reverse("sale_switch_to_cash", args=[sold_on_finance.pk]), {"note": ""})
    assert no_note.status_code == 400
    switched = signed_in.post(
        reverse("sale_switch_to_cash", args=[sold_on_finance.pk]), {"note": "Paid by bank transfer"}
    )
    assert switched.status_code == 302
    assert signed_in.post(reverse("sale_deliver", args=[sold_on_finance.pk])).status_code == 302
    page = signed_in.get(reverse("car_detail", args=[sold_on_finance.pk])).content.decode()
    assert "Switched to cash" in page and "Paid by bank transfer" in page
    assert signed_in.get(reverse("sale_deliver", args=[sold_on_finance.pk])).status_code == 405


def test_cars_filter_by_how_they_were_paid(signed_in, sold_on_finance, north, customer, sales_user):
    cash = CarFactory(location=north, phase=Phase.LISTED, make="Honda", model="Jazz")
    inventory.sale_record(
        user=sales_user, car_id=cash.pk, sold_on=timezone.localdate(), price=Decimal(6000), customer_id=customer.pk
    )
    finance = signed_in.get(reverse("car_list") + "?payment=finance").content.decode()
    assert "Octavia" in finance and "Jazz" not in finance
    waiting = signed_in.get(reverse("car_list") + "?payment=awaiting_delivery").content.decode()
    assert "Octavia" in waiting and "Jazz" not in waiting


def test_a_locations_months_split_cash_and_finance(client, manager, north, sold_on_finance):
    client.force_login(manager)
    body = client.get(reverse("location_detail", args=[north.pk])).content.decode()
    assert (
        "(1 on finance)" in body and 'data-testid="finance-sales">1<' in body and 'data-testid="cash-sales">0<' in body
    )


# --- Lenders and figures ---------------------------------------------------------------------------------


def test_a_manager_adds_and_edits_lenders_and_sales_staff_only_read_them(client, manager, sales_user, lender):
    client.force_login(manager)
    response = client.post(
        reverse("lender_create"),
        {
            "name": "Harbour Bank",
            "kind": "bank",
            "phone": "020 7946 0123",
            "typical_decision_hours": "2",
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and Lender.objects.get(name="Harbour Bank").phone == "+442079460123"
    bad = client.post(
        reverse("lender_create"),
        {"name": "northgate motor finance", "kind": "bank", "phone": "12", "typical_decision_hours": "0"},
    )
    body = bad.content.decode()
    assert bad.status_code == 400 and "already a lender called" in body and 'id="id_phone-error"' in body
    edit = client.post(
        reverse("lender_edit", args=[lender.pk]),
        {"name": lender.name, "kind": "finance_house", "typical_decision_hours": "12", "is_active": "on"},
    )
    assert edit.status_code == 302
    lender.refresh_from_db()
    assert lender.typical_decision_hours == 12
    client.force_login(sales_user)
    assert "Harbour Bank" in client.get(reverse("lender_list")).content.decode()
    assert client.get(reverse("lender_create")).status_code == 403
    assert client.post(reverse("lender_edit", args=[lender.pk]), {}).status_code == 403


def test_the_figures_page_shows_the_share_and_the_lenders(signed_in, sold_on_finance, customer, lender):
    FinanceApplicationFactory(
        car=sold_on_finance,
        customer=customer,
        lender=lender,
        status=Status.FUNDED,
        decision=Status.APPROVED,
        submitted_at=timezone.now() - timedelta(hours=3),
        decided_at=timezone.now() - timedelta(hours=1),
        funded_at=timezone.now(),
    )
    body = signed_in.get(reverse("finance_figures")).content.decode()
    assert 'data-testid="share-chart"' in body and "1 of 1" in body and "100%" in body
    lenders = body.split('data-testid="lender-figures"')[1].split("</table>")[0]
    assert "Northgate Motor Finance" in lenders and "2.0 h" in lenders and "£9,000" in lenders


def test_the_figures_refuse_a_range_that_ends_before_it_starts(signed_in):
    response = signed_in.get(reverse("finance_figures") + "?start=2026-06-01&end=2026-05-01")
    assert response.status_code == 400 and "must not be before the start" in response.content.decode()


def test_the_dashboard_splits_the_month_and_counts_cars_awaiting_delivery(signed_in, sold_on_finance):
    body = signed_in.get(reverse("home")).content.decode()
    assert 'data-testid="month-split">1 on finance, 1 in all<' in body
    assert "1 sold car awaiting delivery" in body and "?payment=awaiting_delivery" in body


def test_amounts_are_shown_in_the_currency_setting(settings, signed_in, sold_on_finance, customer, lender):
    settings.CURRENCY = "EUR"
    application = FinanceApplicationFactory(car=sold_on_finance, customer=customer, lender=lender)
    body = signed_in.get(reverse("finance_application_detail", args=[application.pk])).content.decode()
    assert "€10,000.00" in body and "£" not in body.split("<main")[1]


def test_a_customer_s_page_lists_their_finance_applications(signed_in, sold_on_finance, customer, lender):
    FinanceApplicationFactory(car=sold_on_finance, customer=customer, lender=lender, status=Status.REFERRED)
    body = signed_in.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    finance = body.split('data-testid="customer-finance"')[1].split("</ul>")[0]
    assert "Northgate Motor Finance" in finance and "Referred" in finance and "Octavia" in finance
