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

from ifixit.privacy.tests.world import PERSONAL, actions, everything_stored, figures, sale_of


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
