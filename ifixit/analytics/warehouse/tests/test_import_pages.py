"""The import pages: upload, mapping, the batch page and its progress fragment, and who may
use them."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ifixit.analytics.models import ImportBatch
from ifixit.jobs.models import OutboxMessage
from ifixit.analytics.warehouse import imports as services
from ifixit.analytics.warehouse import tasks
from ifixit.analytics.warehouse.tests.test_import import GOOD, csv_bytes, run, xlsx_bytes


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def upload(client, content: bytes, name: str = "march.csv"):
    return client.post(reverse("analytics_import_new"), {"file": SimpleUploadedFile(name, content)})


def mapping_post(location: str, **changes) -> dict:
    token = location.split("staged=")[1]
    from urllib.parse import unquote

    data = {
        "staged": unquote(token),
        "make": "Manufacturer",
        "model": "Model",
        "price": "Hammer price",
        "sale_date": "Date sold",
        "mileage": "Odometer",
        "year": "",
        "source": "BCA",
        "source_column": "",
        "mileage_unit": "mi",
        "mileage_unit_column": "",
        "currency": "GBP",
        "currency_column": "",
        "rate": "",
        "kind": "auction",
        "date_format": "",
    }
    data.update(changes)
    return data


PAGE_HEADER = ["Manufacturer", "Model", "Hammer price", "Date sold", "Odometer"]
PAGE_ROWS = [["VW", "Polo", "£5,000", "05/03/2024", "40000"], ["Ford", "Ka", "cheap", "06/03/2024", "50000"]]


def test_upload_map_and_watch_an_import_to_its_bad_rows(signed_in, django_capture_on_commit_callbacks, htmx):
    response = upload(signed_in, csv_bytes(PAGE_ROWS, PAGE_HEADER))
    assert response.status_code == 302 and response["Location"].startswith(reverse("analytics_import_map"))
    page = signed_in.get(response["Location"]).content.decode()
    assert '<option value="Manufacturer" selected>' in page and '<option value="Hammer price" selected>' in page
    assert "£5,000" in page.split('data-testid="import-preview"')[1]

    with django_capture_on_commit_callbacks(execute=True):
        started = signed_in.post(reverse("analytics_import_map"), mapping_post(response["Location"]))
    batch = ImportBatch.objects.get()
    assert started.status_code == 302 and started["Location"] == reverse("analytics_import_detail", args=[batch.pk])
    [queued] = OutboxMessage.objects.all()  # the import asked for, in the batch's transaction
    assert (queued.task, queued.args, queued.about) == (tasks.run_import.name, [batch.pk], f"analytics.importbatch:{batch.pk}")
    assert queued.published_at is not None
    assert (batch.file_name, batch.mapping["price"], batch.created_by.username) == ("march.csv", "Hammer price", "nina")

    fragment = signed_in.get(reverse("analytics_import_detail", args=[batch.pk]), **htmx)
    body = fragment.content.decode()
    assert (
        "<html" not in body
        and 'hx-trigger="every 1s"' in body
        and "Waiting for a worker" in body
        and "HX-Refresh" not in fragment
    )

    services.import_run(batch.pk)
    assert signed_in.get(reverse("analytics_import_detail", args=[batch.pk]), **htmx)["HX-Refresh"] == "true"
    page = signed_in.get(reverse("analytics_import_detail", args=[batch.pk])).content.decode()
    assert (
        "hx-trigger" not in page
        and 'data-testid="import-imported">1<' in page
        and 'data-testid="import-bad">1<' in page
    )
    errors = page.split('data-testid="import-errors"')[1].split("</table>")[0]
    assert '<td class="num">3</td><td>Hammer price</td><td>“cheap” is not a price.</td>' in errors
    listing = signed_in.get(reverse("analytics_import_list")).content.decode()
    assert "march.csv" in listing and "Imported" in listing


def test_a_mapping_the_service_refuses_is_shown_beside_its_field(signed_in):
    response = upload(signed_in, csv_bytes(PAGE_ROWS, PAGE_HEADER))
    refused = signed_in.post(
        reverse("analytics_import_map"), mapping_post(response["Location"], currency="EUR", source="")
    )
    body = refused.content.decode()
    assert refused.status_code == 400 and not ImportBatch.objects.exists()
    assert 'id="id_currency-error"' in body and "Prices in EUR are not imported" in body
    assert 'id="id_source-error"' in body


def test_a_file_that_cannot_be_read_is_refused_at_upload(signed_in):
    response = upload(signed_in, b"\xd0\xcf\x11\xe0old", "old.xls")
    assert response.status_code == 400 and "old Excel (.xls) workbook" in response.content.decode()


def test_someone_else_s_staged_file_is_not_theirs(signed_in, client, outsider):
    location = upload(signed_in, csv_bytes(PAGE_ROWS, PAGE_HEADER))["Location"]
    client.force_login(outsider)
    response = client.get(location)
    assert response.status_code == 302 and response["Location"] == reverse("analytics_import_new")


def test_anonymous_users_are_sent_to_sign_in(client, db):
    batch = run(csv_bytes(GOOD))
    for url in (
        reverse("analytics_import_list"),
        reverse("analytics_import_new"),
        reverse("analytics_import_map"),
        reverse("analytics_import_detail", args=[batch.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_user_without_the_import_permission_is_refused(client, sales_user, db):
    batch = run(csv_bytes(GOOD))
    client.force_login(sales_user)
    for url in (
        reverse("analytics_import_list"),
        reverse("analytics_import_new"),
        reverse("analytics_import_detail", args=[batch.pk]),
    ):
        assert client.get(url).status_code == 403
    assert upload(client, csv_bytes(GOOD)).status_code == 403


def test_the_wrong_method_is_refused(signed_in):
    batch = run(csv_bytes(GOOD))
    assert signed_in.post(reverse("analytics_import_list")).status_code == 405
    assert signed_in.post(reverse("analytics_import_detail", args=[batch.pk])).status_code == 405
    assert signed_in.put(reverse("analytics_import_new")).status_code == 405
    assert signed_in.delete(reverse("analytics_import_map")).status_code == 405


@pytest.mark.parametrize(
    "content, uploaded_as, extension",
    [
        (csv_bytes(PAGE_ROWS, PAGE_HEADER), "march.html", "csv"),
        (xlsx_bytes(PAGE_ROWS, PAGE_HEADER), "march.xlsx", "xlsx"),
    ],
)
def test_an_imported_file_is_stored_under_a_generated_name_of_what_it_is(
    signed_in, settings, content, uploaded_as, extension, django_capture_on_commit_callbacks
):
    # Imports are never served back, but they follow the photos' rule: the bytes name the
    # type; the uploader's name is only shown, never used as a path.
    import re
    from pathlib import Path

    response = upload(signed_in, content, uploaded_as)
    assert response.status_code == 302
    staged = [
        p.relative_to(settings.MEDIA_ROOT).as_posix() for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()
    ]
    assert len(staged) == 1 and re.fullmatch(rf"imports/staged/[0-9a-f]{{32}}/upload\.{extension}", staged[0])

    with django_capture_on_commit_callbacks(execute=False):
        assert signed_in.post(reverse("analytics_import_map"), mapping_post(response["Location"])).status_code == 302
    batch = ImportBatch.objects.get()
    assert re.fullmatch(rf"imports/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\.{extension}", batch.file.name)
    assert batch.file_name == uploaded_as and "march" not in batch.file.name
