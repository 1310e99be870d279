"""Customers' data rights (UK GDPR): COVERAGE checked against the model registry, the
export (JSON and PDF) complete and scoped, erasure that leaves no personal data behind
and every figure to the penny, refusals that change nothing, the audit rows, and who may
use the pages and the API."""

import datetime
import io
import json
from decimal import Decimal
from unittest import mock

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from ifixit.accounts import audit
from ifixit.accounts.models import AuditEvent
from ifixit.crm import selectors, services
from ifixit.crm.models import Communication, Customer, FollowUp, Survey
from ifixit.finance import selectors as finance_selectors
from ifixit.finance.models import ApplicationEvent, FinanceApplication
from ifixit.inventory import selectors as inventory_selectors
from ifixit.inventory.models import Phase, Sale
from ifixit.notifications.models import Notification
from ifixit.privacy import data_rights
from ifixit.testing.factories import CarFactory, CustomerFactory, FinanceApplicationFactory

# What the customer told us, each somewhere else: none of it may survive erasure.
PERSONAL = [
    "Jo Bloggs",
    "jo@example.com",
    "jo.old@example.com",
    "+447911123456",
    "1 Acacia Avenue",
    "Flat 2",
    "Leeds",
    "LS1 1AA",
    "Prefers calls after six",
    "VIP",
    "Joanne Bloggs",
    "joanne@example.com",
    "Rang about the MOT",
    "Your Corsa is ready",
    "Ask about her new job",
    "Spoke to her husband",
    "Lovely people",
    "Payslips from Acme seen",
    "Paid by her brother",
]


def sale_of(customer, location, user, *, price="8000.00", cost="6100.50", **extra) -> Sale:
    car = CarFactory(location=location, phase=Phase.SOLD, make="Vauxhall", model="Corsa")
    return Sale.objects.create(
        car=car,
        customer=customer,
        location=location,
        sold_on=timezone.localdate(),
        price=Decimal(price),
        cost_at_sale=Decimal(cost),
        sold_by=user,
        buyer_name=customer.name,
        **extra,
    )


@pytest.fixture
def jo(north, manager, admin_user):
    """A customer with a row in every covered table, and a merged duplicate."""
    jo = services.customer_create(
        user=manager,
        location=north,
        name="Jo Bloggs",
        email="jo.old@example.com",
        phone="07911 123456",
        address_line1="1 Acacia Avenue",
        address_line2="Flat 2",
        town="Leeds",
        postcode="LS1 1AA",
        notes="Prefers calls after six",
        email_marketing=True,
        tags=["VIP"],
    )
    services.customer_update(user=manager, customer_id=jo.pk, email="jo@example.com")  # the old email stays in history
    twin = services.customer_create(user=manager, location=north, name="Joanne Bloggs", email="joanne@example.com")
    services.customer_merge(user=admin_user, survivor_id=jo.pk, merged_id=twin.pk)
    services.communication_log(
        user=manager, customer_id=jo.pk, channel="call", subject="MOT", body="Rang about the MOT"
    )
    sale = sale_of(jo, north, manager, payment_note="Paid by her brother")
    Communication.objects.create(
        customer=jo,
        channel="sms",
        body="Your Corsa is ready",
        address="+447911123456",
        status=Communication.Status.QUEUED,
    )
    FollowUp.objects.create(
        customer=jo,
        location=north,
        assignee=manager,
        due_at=timezone.now() + datetime.timedelta(days=3),
        note="Ask about her new job",
    )
    FollowUp.objects.create(
        customer=jo,
        location=north,
        assignee=manager,
        due_at=timezone.now(),
        status=FollowUp.Status.DONE,
        done_at=timezone.now(),
        outcome="spoke",
        outcome_note="Spoke to her husband",
    )
    Survey.objects.create(
        sale=sale,
        customer=jo,
        location=north,
        send_on=sale.sold_on,
        status=Survey.Status.ANSWERED,
        answered_at=timezone.now(),
        recommend_score=9,
        satisfaction=5,
        comment="Lovely people",
    )
    now = timezone.now()
    application = FinanceApplicationFactory(
        customer=jo, car=sale.car, status="funded", submitted_at=now, decided_at=now, decision="approved", funded_at=now
    )
    ApplicationEvent.objects.create(
        application=application, from_status="contract_signed", to_status="funded", note="Payslips from Acme seen"
    )
    Notification.objects.create(
        recipient=manager, kind="customer_reply", title="Jo Bloggs replied: thanks", link=f"/customers/{jo.pk}/"
    )
    return Customer.objects.get(pk=jo.pk)


@pytest.fixture
def otto(north, manager):
    otto = CustomerFactory(name="Otto Other", email="otto@example.com", locations=[north])
    services.communication_log(user=manager, customer_id=otto.pk, channel="note", body="Otto wants a van")
    sale_of(otto, north, manager, price="12000.00")
    return otto


def everything_stored() -> str:
    """Every row of every table that holds anything of a customer, as one text to search."""
    tables = [
        Customer,
        data_rights.HistoricalCustomer,
        data_rights.HistoricalCustomerTag,
        Communication,
        FollowUp,
        Survey,
        FinanceApplication,
        ApplicationEvent,
        Sale,
        Notification,
        AuditEvent,
    ]
    rows = {model._meta.label: list(model.objects.order_by("pk").values()) for model in tables}
    rows["tags"] = list(Customer.tags.through.objects.values("customer_id", "tag__name"))
    rows["tags of versions"] = list(data_rights.HistoricalCustomerTag.objects.values("customer_id", "tag__name"))
    return json.dumps(rows, default=str)


def figures(user) -> dict:
    """What the dashboard, the finance figures and the satisfaction page say, and raw sums."""
    today = timezone.localdate()
    dashboard = inventory_selectors.dashboard(user=user)
    finance = finance_selectors.finance_figures(user=user, start=today - datetime.timedelta(days=31), end=today)
    satisfaction = selectors.satisfaction_figures(user=user).overall
    sums = {
        name: sorted(model.objects.values_list(*fields))
        for name, model, fields in [
            ("sales", Sale, ("price", "cost_at_sale", "part_exchange_allowance", "sold_on")),
            (
                "finance",
                FinanceApplication,
                ("cash_price", "deposit", "part_exchange", "amount_financed", "apr", "monthly_payment"),
            ),
            ("surveys", Survey, ("recommend_score", "satisfaction", "answered_at")),
        ]
    }
    return {
        "month_revenue": dashboard.month_revenue,
        "month_gross_profit": dashboard.month_gross_profit,
        "finance_revenue": sum(m.revenue for m in finance.months),
        "funded_amount": finance.funded_amount,
        "nps": satisfaction.nps,
        "average_satisfaction": satisfaction.average_satisfaction,
        **sums,
    }


def actions() -> list[str]:
    return list(
        AuditEvent.objects.filter(action__in=audit.CUSTOMER_ACTIONS).order_by("id").values_list("action", flat=True)
    )


# --- Coverage -------------------------------------------------------------------------------


def relations_to_customer() -> set[str]:
    """Walk the registry, auto-created models included (M2M through tables, simple-history's)."""
    found = set()
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields(include_hidden=True):
            if field.concrete and field.is_relation and field.related_model is Customer:
                found.add(f"{model._meta.label}.{field.name}")
    return found


def test_coverage_names_every_relation_to_a_customer_and_nothing_else():
    walked = relations_to_customer()
    assert "finance.FinanceApplication.customer" in walked and "crm.Customer_tags.customer" in walked  # the walk works
    assert walked == set(data_rights.COVERAGE) - {"crm.Customer"}, (
        "A model relates to crm.Customer that privacy.data_rights.COVERAGE does not name (or names one that is gone): "
        "decide how its rows are exported and erased."
    )


def test_every_text_field_of_an_erased_model_is_erased_or_kept_on_purpose():
    for model, fields in data_rights.TEXT_FIELDS.items():
        text = {f.name for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))}
        decided = [*fields.erased, *fields.blanked, *fields.renamed, *fields.kept]
        assert sorted(decided) == sorted(text), (
            f"{model._meta.label}: decide what erasure does to {sorted(text ^ set(decided))}"
        )


def test_every_field_of_the_customer_is_decided():
    # Beside the text fields and consent: what identifies the row, who made it, and the
    # links that keep it in the books. A new field (a date of birth, say) fails here.
    kept = {
        "id",
        "created_at",
        "created_by",
        "updated_at",
        "merged_into",
        "erased_at",
        "erased_by",
        "locations",
        "tags",
    }
    text = data_rights.TEXT_FIELDS[Customer]
    decided = {*text.blanked, *text.renamed, *text.kept, *data_rights.CUSTOMER_CONSENT_OFF, *kept}
    assert decided == {f.name for f in [*Customer._meta.concrete_fields, *Customer._meta.many_to_many]}


# --- Export ---------------------------------------------------------------------------------


def test_the_export_holds_every_covered_table_and_nothing_of_another_customer(jo, otto, manager):
    data = data_rights.customer_export(user=manager, customer_id=jo.pk)

    for key, treatment in data_rights.COVERAGE.items():
        assert data[treatment.section], f"{key}: nothing in the export's {treatment.section!r}"
    assert data["customer"]["email"] == "jo@example.com" and data["customer"]["postcode"] == "LS1 1AA"
    assert data["consent"]["email_marketing"] is True and data["tags"] == ["VIP"]
    assert [r["name"] for r in data["merged_records"]] == ["Joanne Bloggs"]
    assert "jo.old@example.com" in {v["email"] for v in data["history"]} and ["VIP"] in [
        v["tags"] for v in data["history"]
    ]
    assert {"Rang about the MOT", "Your Corsa is ready"} <= {c["body"] for c in data["communications"]}
    assert {"Ask about her new job", ""} <= {f["note"] for f in data["follow_ups"]}
    assert data["surveys"][0]["comment"] == "Lovely people" and data["surveys"][0]["recommend_score"] == 9
    application = data["finance_applications"][0]
    assert (application["amount_financed"], application["apr"], application["status"]) == ("9000.00", "9.9", "funded")
    assert application["events"][0]["note"] == "Payslips from Acme seen"
    assert (data["purchases"][0]["price"], data["purchases"][0]["car"].startswith("2018 Vauxhall Corsa")) == (
        "8000.00",
        True,
    )
    assert "cost_at_sale" not in data["purchases"][0]  # the dealer's figure, not the customer's

    text = json.dumps(data)  # JSON as it stands: no Decimal or datetime left in it
    assert "Otto" not in text and "otto@example.com" not in text and "12000" not in text


def test_the_pdf_export_reads_back_with_the_name_and_what_was_said(jo, manager):
    pdf = data_rights.customer_export_pdf(data_rights.customer_export(user=manager, customer_id=jo.pk))

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in [
        "Personal data held about Jo Bloggs",
        "jo@example.com",
        "Rang about the MOT",
        "Lovely people",
        "9000.00",
    ]:
        assert expected in text


def test_the_export_runs_a_fixed_number_of_queries(jo, manager, north):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            data_rights.customer_export(user=manager, customer_id=jo.pk)
        return len(ctx)

    few = count()
    for i in range(5):
        services.communication_log(user=manager, customer_id=jo.pk, channel="note", body=f"note {i}")
        sale_of(jo, north, manager)
    assert count() == few


def test_the_export_is_only_for_a_customer_the_user_may_see(jo, outsider, workshop_user):
    for user in (outsider, workshop_user):
        with pytest.raises(Customer.DoesNotExist):
            data_rights.customer_export(user=user, customer_id=jo.pk)


# --- Erasure --------------------------------------------------------------------------------


def test_erasure_leaves_no_personal_data_and_every_figure_to_the_penny(jo, otto, manager, admin_user, north):
    twin_id = Customer.objects.get(merged_into=jo).pk
    before = figures(manager)
    assert all(text in everything_stored() for text in PERSONAL)  # the fixture put each one somewhere

    erased = data_rights.customer_erase(user=manager, customer_id=jo.pk, reason="Erasure request by email of 3 May")

    stored = everything_stored()
    assert [text for text in PERSONAL if text in stored] == []
    assert figures(manager) == before
    jo = Customer.objects.get(pk=jo.pk)
    assert (
        erased.pk == jo.pk and jo.name == f"Erased customer #{jo.pk}" and (jo.email, jo.phone, jo.notes) == ("", "", "")
    )
    assert (jo.email_marketing, jo.sms_marketing, jo.erased_by, jo.is_erased) == (False, False, manager, True)
    assert list(jo.locations.all()) == [north] and not jo.tags.exists()
    assert Customer.objects.get(pk=twin_id).name == f"Erased customer #{twin_id}"
    # The record and its history stay as a record of who changed it and when.
    versions = list(jo.history.order_by("history_date"))
    assert len(versions) >= 3 and versions[-1].history_change_reason == "Personal data erased"
    assert {v.history_user for v in versions} == {manager, admin_user}  # admin_user merged the twin
    # What waited to happen to the person does not.
    assert not Communication.objects.filter(customer=jo, status__in=["queued", "retrying", "sending"]).exists()
    assert not FollowUp.objects.filter(customer=jo, status="open").exists()
    assert (
        Communication.objects.filter(customer=jo, body=data_rights.ERASED).count()
        == Communication.objects.filter(customer=jo).count()
    )
    assert Sale.objects.get(customer=jo).buyer_name == f"Erased customer #{jo.pk}"
    # Another customer is untouched.
    assert Customer.objects.get(pk=otto.pk).email == "otto@example.com"
    assert Communication.objects.get(customer=otto).body == "Otto wants a van"


def test_erasure_is_refused_while_a_finance_application_is_open_and_changes_nothing(jo, manager, north):
    application = FinanceApplicationFactory(customer=jo, car=CarFactory(location=north), status="submitted")
    before = everything_stored()

    with pytest.raises(data_rights.ErasureRefused) as refused:
        data_rights.customer_erase(user=manager, customer_id=jo.pk, reason="Their letter of 3 May")

    assert f"Finance application #{application.pk}" in refused.value.messages[0]
    assert "still open (submitted)" in refused.value.messages[0] and "Withdraw it" in refused.value.messages[0]
    refusal = AuditEvent.objects.get(action=audit.CUSTOMER_ERASE_REFUSED)
    assert refusal.actor == manager and refusal.detail["customer"] == jo.pk
    # Everything as it was, apart from the refusal's own audit row.
    refusal.delete()
    assert everything_stored() == before


@pytest.mark.parametrize("status", ["declined", "withdrawn", "funded"])
def test_a_closed_finance_application_does_not_stop_erasure(jo, manager, north, status):
    FinanceApplicationFactory(customer=jo, car=CarFactory(location=north), status=status)
    data_rights.customer_erase(user=manager, customer_id=jo.pk, reason="Their letter of 3 May")
    assert Customer.objects.get(pk=jo.pk).is_erased


def test_erasure_is_refused_a_second_time(jo, manager):
    data_rights.customer_erase(user=manager, customer_id=jo.pk, reason="Their letter of 3 May")
    before = everything_stored()

    with pytest.raises(data_rights.ErasureRefused) as refused:
        data_rights.customer_erase(user=manager, customer_id=jo.pk, reason="Again")

    assert "nothing is left to erase" in refused.value.messages[0] and "by nina" in refused.value.messages[0]
    AuditEvent.objects.filter(action=audit.CUSTOMER_ERASE_REFUSED).delete()
    assert everything_stored() == before


def test_an_erased_customer_takes_no_new_personal_data(jo, otto, manager, admin_user):
    data_rights.customer_erase(user=manager, customer_id=jo.pk, reason="Their letter of 3 May")
    before = everything_stored()

    for write in (
        lambda: services.customer_update(user=manager, customer_id=jo.pk, name="Joanne Bloggs"),
        lambda: services.communication_log(user=manager, customer_id=jo.pk, channel="phone", body="Rang back"),
        lambda: services.customer_merge(user=admin_user, survivor_id=otto.pk, merged_id=jo.pk),
    ):
        with pytest.raises(ValidationError) as refused:
            write()
        assert "was erased at their request" in refused.value.messages[0]
    assert everything_stored() == before


def test_a_merged_record_is_erased_only_with_the_record_it_was_merged_into(jo, manager):
    twin = Customer.objects.get(merged_into=jo)

    with pytest.raises(data_rights.ErasureRefused) as refused:
        data_rights.customer_erase(user=manager, customer_id=twin.pk, reason="Their letter of 3 May")

    assert f"merged into #{jo.pk}" in refused.value.messages[0]
    assert Customer.objects.get(pk=twin.pk).name == "Joanne Bloggs"


def test_erasure_is_one_transaction(jo, manager):
    before = everything_stored()
    # Fails late, after the record, its history and the log were rewritten: all of it must roll back.
    with (
        mock.patch(
            "ifixit.privacy.data_rights.reverse", autospec=True, side_effect=RuntimeError("the database went away")
        ),
        pytest.raises(RuntimeError),
    ):
        data_rights.customer_erase(user=manager, customer_id=jo.pk, reason="Their letter of 3 May")
    assert everything_stored() == before


def test_erasure_needs_the_permission_a_visible_customer_and_a_reason(jo, sales_user, outsider, manager):
    with pytest.raises(PermissionDenied):
        data_rights.customer_erase(user=sales_user, customer_id=jo.pk, reason="Their letter")
    with pytest.raises(Customer.DoesNotExist):
        data_rights.customer_erase(user=outsider, customer_id=jo.pk, reason="Their letter")
    with pytest.raises(ValidationError) as missing:
        data_rights.customer_erase(user=manager, customer_id=jo.pk, reason="  ")
    assert "reason" in missing.value.message_dict
    assert not Customer.objects.filter(erased_at__isnull=False).exists()


def test_export_erasure_refusal_and_merge_are_in_the_audit_log(jo, manager, north):
    assert actions() == [audit.CUSTOMER_MERGED]  # the fixture's merge
    merge = AuditEvent.objects.get(action=audit.CUSTOMER_MERGED)
    assert merge.detail == {"survivor": jo.pk, "merged": Customer.objects.get(merged_into=jo).pk}

    data_rights.customer_export(user=manager, customer_id=jo.pk)
    application = FinanceApplicationFactory(customer=jo, car=CarFactory(location=north), status="draft")
    with pytest.raises(data_rights.ErasureRefused):
        data_rights.customer_erase(user=manager, customer_id=jo.pk, reason="Their letter of 3 May")
    application.status = "withdrawn"
    application.save()
    data_rights.customer_erase(user=manager, customer_id=jo.pk, reason="Their letter of 3 May")

    assert actions() == [
        audit.CUSTOMER_MERGED,
        audit.CUSTOMER_EXPORTED,
        audit.CUSTOMER_ERASE_REFUSED,
        audit.CUSTOMER_ERASED,
    ]
    erased = AuditEvent.objects.get(action=audit.CUSTOMER_ERASED)
    assert (
        erased.actor == manager
        and erased.detail["customer"] == jo.pk
        and erased.detail["reason"] == "Their letter of 3 May"
    )
    assert AuditEvent.objects.get(action=audit.CUSTOMER_EXPORTED).detail == {"customer": jo.pk}


# --- Pages ----------------------------------------------------------------------------------


def test_the_customer_page_offers_the_downloads_and_erasure_to_a_manager(client, jo, manager, sales_user):
    client.force_login(manager)
    body = client.get(reverse("customer_detail", args=[jo.pk])).content.decode()
    for name in ("customer_export_json", "customer_export_pdf", "customer_erase"):
        assert reverse(name, args=[jo.pk]) in body
    client.force_login(sales_user)
    body = client.get(reverse("customer_detail", args=[jo.pk])).content.decode()
    assert reverse("customer_export_pdf", args=[jo.pk]) in body and reverse("customer_erase", args=[jo.pk]) not in body


def test_the_downloads_are_attachments(client, jo, sales_user):
    client.force_login(sales_user)

    as_json = client.get(reverse("customer_export_json", args=[jo.pk]))
    as_pdf = client.get(reverse("customer_export_pdf", args=[jo.pk]))

    assert as_json.status_code == 200 and as_json["Content-Type"] == "application/json"
    assert as_json["Content-Disposition"] == f'attachment; filename="customer-{jo.pk}-data.json"'
    assert json.loads(as_json.content)["customer"]["name"] == "Jo Bloggs"
    assert (
        as_pdf.status_code == 200 and as_pdf["Content-Type"] == "application/pdf" and as_pdf.content.startswith(b"%PDF")
    )
    assert as_pdf["Content-Disposition"] == f'attachment; filename="customer-{jo.pk}-data.pdf"'
    assert as_pdf["Cache-Control"] == "no-store"


def test_the_erase_page_says_what_goes_and_what_stays_then_erases(client, jo, manager):
    client.force_login(manager)
    url = reverse("customer_erase", args=[jo.pk])

    page = client.get(url)
    unconfirmed = client.post(url, {"reason": "Their letter of 3 May"})
    done = client.post(url, {"reason": "Their letter of 3 May", "confirm": "on"})

    body = page.content.decode()
    assert page.status_code == 200 and "What is removed" in body and "kept six years for HMRC" in body
    assert unconfirmed.status_code == 400 and "Tick the box to confirm." in unconfirmed.content.decode()
    assert done.status_code == 302 and done["Location"] == reverse("customer_detail", args=[jo.pk])
    detail = client.get(done["Location"]).content.decode()
    assert "Personal data erased on" in detail and "Jo Bloggs" not in detail
    assert reverse("customer_erase", args=[jo.pk]) not in detail


def test_the_erase_page_shows_a_refusal_with_status_400(client, jo, manager, north):
    FinanceApplicationFactory(customer=jo, car=CarFactory(location=north), status="approved")
    client.force_login(manager)
    url = reverse("customer_erase", args=[jo.pk])

    warned = client.get(url)
    refused = client.post(url, {"reason": "Their letter of 3 May", "confirm": "on"})

    assert warned.status_code == 200 and "cannot be erased now" in warned.content.decode()
    assert refused.status_code == 400 and "still open (approved)" in refused.content.decode()
    assert Customer.objects.get(pk=jo.pk).name == "Jo Bloggs"


def test_the_data_rights_pages_for_other_roles_locations_and_anonymous(client, jo, sales_user, outsider):
    erase = reverse("customer_erase", args=[jo.pk])
    downloads = [reverse("customer_export_json", args=[jo.pk]), reverse("customer_export_pdf", args=[jo.pk])]
    for url in [erase, *downloads]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(sales_user)
    assert client.get(erase).status_code == 403
    assert client.post(erase, {"reason": "x", "confirm": "on"}).status_code == 403
    client.force_login(outsider)
    for url in [erase, *downloads]:
        assert client.get(url).status_code == 404
    assert client.post(erase, {"reason": "x", "confirm": "on"}).status_code == 404
    assert not Customer.objects.get(pk=jo.pk).is_erased


def test_the_data_rights_pages_take_only_their_methods(client, jo, manager):
    client.force_login(manager)
    assert client.post(reverse("customer_export_json", args=[jo.pk])).status_code == 405
    assert client.post(reverse("customer_export_pdf", args=[jo.pk])).status_code == 405
    assert client.put(reverse("customer_erase", args=[jo.pk])).status_code == 405


# --- API ------------------------------------------------------------------------------------


def test_the_api_exports_the_same_document(jo, manager, api_for):
    response = api_for(manager).get(reverse("api_customer_export", args=[jo.pk]))

    assert response.status_code == 200
    body = response.json()
    expected = data_rights.customer_export(user=manager, customer_id=jo.pk)
    assert body.keys() == expected.keys() and body["communications"] == expected["communications"]
    assert body["finance_applications"][0]["cash_price"] == "10000.00"


def test_the_api_erases_and_answers_the_erased_customer(jo, manager, api_for):
    url = reverse("api_customer_erase", args=[jo.pk])
    response = api_for(manager).post(url, {"reason": "Their letter of 3 May"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == jo.pk and body["name"] == f"Erased customer #{jo.pk}" and body["email"] == ""
    assert body["erased_by"] == "nina" and body["erased_at"] and body["tags"] == []
    again = api_for(manager).post(url, {"reason": "Again"}, format="json")
    assert again.status_code == 409 and "nothing is left to erase" in again.json()["non_field_errors"][0]


def test_the_api_refuses_an_open_application_and_a_missing_reason(jo, manager, north, api_for):
    FinanceApplicationFactory(customer=jo, car=CarFactory(location=north), status="referred")
    url = reverse("api_customer_erase", args=[jo.pk])

    missing = api_for(manager).post(url, {}, format="json")
    refused = api_for(manager).post(url, {"reason": "Their letter of 3 May"}, format="json")

    assert missing.status_code == 400 and "reason" in missing.json()
    assert refused.status_code == 409 and "still open (referred)" in refused.json()["non_field_errors"][0]
    assert Customer.objects.get(pk=jo.pk).name == "Jo Bloggs"


def test_the_data_rights_api_for_other_roles_locations_and_anonymous(
    jo, sales_user, outsider, workshop_user, api_for, anon
):
    export, erase = reverse("api_customer_export", args=[jo.pk]), reverse("api_customer_erase", args=[jo.pk])
    body = {"reason": "Their letter of 3 May"}
    assert anon.get(export).status_code == 401
    assert anon.post(erase, body, format="json").status_code == 401
    assert api_for(sales_user).get(export).status_code == 200
    assert api_for(sales_user).post(erase, body, format="json").status_code == 403
    assert api_for(workshop_user).get(export).status_code == 403
    assert api_for(outsider).get(export).status_code == 404
    assert api_for(outsider).post(erase, body, format="json").status_code == 404
    assert api_for(outsider).get(erase).status_code == 405
    assert not Customer.objects.get(pk=jo.pk).is_erased


def test_the_schema_has_the_data_rights_operations(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/customers/{customer_id}/export/" in schema and "/api/v1/customers/{customer_id}/erase/" in schema


# --- On a phone -----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_erases_a_customer_on_a_phone(live_server, phone, north):
    from playwright.sync_api import expect

    from ifixit.testing.browser import screenshot
    from ifixit.testing.factories import UserFactory

    UserFactory(username="mia", role="manager", password="mia-long-password", locations=[north])
    customer = CustomerFactory(name="Jo Bloggs", email="jo@example.com", locations=[north])
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill("mia-long-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.goto(f"{live_server.url}{reverse('customer_detail', args=[customer.pk])}")
    page.get_by_test_id("data-rights").get_by_role("link", name="Erase…").click()
    page.get_by_role("textbox", name="Why").fill("Erasure request by email of 3 May")
    page.get_by_label("I understand this cannot be undone").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the erase page scrolls sideways at 375 px"
    screenshot(page, "40-customer-erase-375")
    page.get_by_role("button", name="Erase personal data").click()

    expect(page.get_by_test_id("erased")).to_contain_text("Personal data erased on")
    expect(page.get_by_role("heading", name=f"Erased customer #{customer.pk}")).to_be_visible()
