"""REST API v1 of reports, the reports themselves: the catalogue by role, a report on screen
as JSON (totals that add up, values JSON-safe), its files read back (CSV, XLSX, PDF) or made
in the background, and runs made on demand with their status; for each, a role without the
report (403), another user's run (404) and bad input (field-keyed 400 with nothing written)."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone
from pypdf import PdfReader

from ifixit.reports import periods, services
from ifixit.reports.models import Run
from ifixit.reports.tests.builders import sales_path, sold, url

# --- Catalogue ----------------------------------------------------------------------------------


def test_the_catalogue_lists_the_reports_of_the_role_with_periods_and_formats(api, workshop_api):
    body = api.get(url("api_report_catalogue")).json()

    reports = {report["key"]: report for report in body["reports"]}
    sales = reports["sales"]
    assert (sales["title"], sales["category"]) == ("Sales and gross profit", "Sales")
    assert sales["default_period"] == "last_month"
    assert sales["accepts"] == ["period", "locations", "make"]
    assert reports["stock"]["accepts"] == ["locations", "phase", "make"]
    assert sales["url"] == "http://testserver" + url("api_report_result", "sales")
    assert sales["file_url"] == "http://testserver" + url("api_report_file", "sales")
    assert "satisfaction" in reports and "finance_mix" in reports
    assert [p["key"] for p in body["periods"]] == list(periods.RELATIVE)
    assert [(f["key"], f["extension"]) for f in body["formats"]] == [("csv", "csv"), ("xlsx", "xlsx"), ("pdf", "pdf")]
    workshop = {report["key"] for report in workshop_api.get(url("api_report_catalogue")).json()["reports"]}
    assert "repairs" in workshop and not workshop & {"sales", "roi", "satisfaction", "finance_mix"}


# --- A report on screen ---------------------------------------------------------------------------


def test_a_report_runs_on_screen_with_totals_that_add_up(api, north, south):
    sold(north, days_ago=3, price="10000.50")
    sold(north, days_ago=5, price="12000", make="Vauxhall", model="Corsa")
    sold(north, days_ago=40, price="9999")  # outside the last 30 days
    sold(south, days_ago=2, price="7000", make="Southmake")

    response = api.get(sales_path())

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["key"], body["title"], body["row_count"]) == ("sales", "Sales and gross profit", 2)
    assert body["params"]["period"] == "last_30_days"
    assert body["end"] == timezone.localdate().isoformat()
    assert [location["name"] for location in body["locations"]] == ["North Yard"]
    assert {"label": "Locations", "value": "All"} in body["parameters"]
    columns = {column["key"]: column for column in body["columns"]}
    assert (columns["price"]["kind"], columns["price"]["total"]) == ("money", True)
    rows = body["rows"]
    assert [row["car"].split(" ", 1)[1] for row in rows] == ["Vauxhall Corsa", "Ford Focus"]  # oldest sale first
    assert rows[1]["price"] == "10000.50"
    assert rows[0]["sold_on"] == (timezone.localdate() - timedelta(days=5)).isoformat()
    assert set(rows[0]) == set(columns)
    for key in ("price", "purchase", "gross_profit"):
        assert Decimal(body["totals"][key]) == sum(Decimal(row[key]) for row in rows)
    assert body["totals"]["price"] == "22000.50"
    margin = Decimal(body["totals"]["gross_profit"]) / Decimal(body["totals"]["price"])
    assert Decimal(body["totals"]["margin"]) == margin.quantize(Decimal("0.0001"))
    chart = body["chart"]
    assert (chart["label_key"], chart["value_key"]) == ("location", "gross_profit")
    assert chart["points"] == [{"label": "North Yard", "value": body["totals"]["gross_profit"]}]


def test_a_report_runs_for_its_default_period_and_the_chosen_locations(api, manager, north, south):
    manager.locations.add(south)
    sold(north, days_ago=2)
    sold(south, days_ago=2, make="Southmake")

    default = api.get(url("api_report_result", "sales")).json()
    assert default["params"]["period"] == "last_month"
    chosen = api.get(sales_path(locations=f"{south.pk}")).json()
    assert [row["car"].split(" ", 1)[1] for row in chosen["rows"]] == ["Southmake Focus"]
    assert {"label": "Locations", "value": "South Yard"} in chosen["parameters"]
    both = api.get(sales_path(locations=f"{north.pk},{south.pk}")).json()
    assert both["row_count"] == 2


def test_a_report_without_rows_or_totals_still_answers(api, north):
    body = api.get(url("api_report_result", "stock") + "?phase=fixing").json()
    assert body["rows"] == [] and body["start"] is None and body["chart"] is None
    assert {"label": "Phase", "value": "Fixing"} in body["parameters"]


@pytest.mark.parametrize(
    "query, field, says",
    [
        ({"phase": "fixing"}, "phase", "does not take a phase"),
        ({"period": "custom", "start": "2026-06-01", "end": "2026-05-01"}, "end", "ends before it starts"),
        ({"period": "custom", "start": "2026-06-01"}, "period", "Give the start and the end"),
        ({"period": "last_week", "start": "2026-06-01"}, "period", "takes no start or end"),
        ({"period": "next_decade"}, "period", "not a valid choice"),
        ({"start": "1st June"}, "start", "wrong format"),
        ({"locations": "north"}, "locations", "separated by commas"),
    ],
)
def test_a_report_refuses_bad_parameters_by_field(api, query, field, says):
    response = api.get(sales_path(**query))

    assert response.status_code == 400
    assert says in " ".join(response.json()[field]), response.json()


def test_a_report_refuses_a_location_the_user_may_not_see(api, south):
    response = api.get(sales_path(locations=south.pk))

    assert response.status_code == 400
    assert response.json() == {"locations": ["You can report only on your own locations."]}


def test_a_report_that_takes_no_period_refuses_one(api):
    response = api.get(url("api_report_result", "stock") + "?period=last_week")
    assert response.status_code == 400 and "does not take a date range" in response.json()["period"][0]


def test_an_unknown_report_is_not_found_and_another_roles_report_is_forbidden(api, workshop_api):
    assert api.get(url("api_report_result", "gossip")).status_code == 404
    assert api.get(url("api_report_file", "gossip") + "?format=csv").status_code == 404
    assert api.post(url("api_report_generate", "gossip"), {"format": "csv"}, format="json").status_code == 404
    for response in (
        workshop_api.get(url("api_report_result", "sales")),  # prices and profit: not for the workshop
        workshop_api.get(url("api_report_result", "satisfaction")),
        workshop_api.get(url("api_report_file", "satisfaction") + "?format=csv"),
        workshop_api.post(url("api_report_generate", "satisfaction"), {"format": "csv"}, format="json"),
    ):
        assert response.status_code == 403 and "may not run" in response.json()["detail"]
    assert workshop_api.get(url("api_report_result", "repairs")).status_code == 200
    assert not Run.objects.exists()


# --- Files ------------------------------------------------------------------------------------------


def test_the_csv_file_reads_back_with_the_totals_last(api, north):
    sold(north, days_ago=3, price="10000")
    sold(north, days_ago=5, price="12000")

    response = api.get(url("api_report_file", "sales") + "?format=csv&period=last_30_days", HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate()
    start = today - timedelta(days=29)
    assert response["Content-Disposition"] == f'attachment; filename="sales-{start:%Y%m%d}-{today:%Y%m%d}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    price = rows[0].index("Price (GBP)")
    assert [row[price] for row in rows[1:]] == ["12000.00", "10000.00", "22000.00"]
    assert "Total" in rows[-1]


def test_the_xlsx_file_has_typed_cells(api, north):
    sold(north, days_ago=3, price="10000")

    response = api.get(url("api_report_file", "sales") + "?format=xlsx&period=last_30_days")

    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header_at = next(i for i, row in enumerate(values) if "Price" in row)
    price = values[header_at].index("Price")
    assert [row[price] for row in values[header_at + 1 :] if row[price] is not None] == [10000, 10000]


def test_the_pdf_file_reads_back(api, north):
    sold(north, days_ago=3)

    response = api.get(url("api_report_file", "sales") + "?format=pdf&period=last_30_days")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Sales and gross profit" in text and "North Yard" in text


def test_a_large_file_is_made_in_the_background(api, manager, north, settings):
    settings.REPORTS_INLINE_MAX_ROWS = 1
    sold(north, days_ago=2)
    sold(north, days_ago=3)

    response = api.get(url("api_report_file", "sales") + "?format=pdf&period=last_7_days")

    assert response.status_code == 202, response.content
    run = Run.objects.get()
    body = response.json()
    assert (run.trigger, run.format, run.requested_by) == ("on_demand", "pdf", manager)
    assert run.params["period"] == "last_7_days"
    assert body["id"] == run.pk and body["status"] == "queued" and body["download_url"] is None
    assert body["url"] == response["Location"] == "http://testserver" + url("api_report_run_detail", run.pk)


@pytest.mark.parametrize(
    "query, field",
    [
        ("", "format"),
        ("&format=doc", "format"),
        ("&format=csv&locations=SOUTH", "locations"),
        ("&format=csv&phase=sold", "phase"),
    ],
)
def test_a_bad_file_request_is_refused_by_field(api, query, field):
    response = api.get(url("api_report_file", "sales") + "?period=last_7_days" + query)

    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert field in response.json(), response.json()
    assert not Run.objects.exists()


# --- Runs made on demand -------------------------------------------------------------------------------


def test_a_file_made_on_demand_is_queued_then_ready_to_download(api, manager, north):
    sold(north, days_ago=1)

    response = api.post(
        url("api_report_generate", "sales"),
        {"format": "csv", "period": "last_7_days", "locations": [north.pk]},
        format="json",
    )

    assert response.status_code == 202, response.json()
    run = Run.objects.get()
    assert run.params == {"period": "last_7_days", "locations": [north.pk], "phase": "", "make": ""}
    assert response.json()["report_title"] == "Sales and gross profit"
    services.run_execute(run_id=run.pk)
    detail = api.get(url("api_report_run_detail", run.pk)).json()
    assert (detail["status"], detail["is_done"], detail["progress"], detail["row_count"]) == ("ready", True, 100, 1)
    assert detail["file_name"].startswith("sales-") and detail["file_size"] > 0 and detail["finished_at"]
    assert detail["download_url"] == "http://testserver" + url("report_run_file", run.pk)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"format": "doc", "period": "last_7_days"}, "format"),
        ({"period": "last_7_days"}, "format"),
        ({"format": "csv", "period": "last_7_days", "phase": "fixing"}, "phase"),
        ({"format": "csv", "period": "custom", "start": "2026-06-01", "end": "2026-05-01"}, "end"),
        ({"format": "csv", "period": "last_7_days", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_request_for_a_file_writes_nothing(api, body, field):
    response = api.post(url("api_report_generate", "sales"), body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Run.objects.exists()


def test_a_run_for_a_location_not_the_users_writes_nothing(api, south):
    body = {"format": "csv", "period": "last_7_days", "locations": [south.pk]}
    response = api.post(url("api_report_generate", "sales"), body, format="json")
    assert response.status_code == 400 and "only on your own locations" in response.json()["locations"][0]
    assert not Run.objects.exists()


def test_someone_else_s_run_is_not_found_but_an_admin_sees_it(api, outsider_api, admin_api, manager):
    from ifixit.reports.catalogue import Params

    run = services.report_generate(user=manager, report_key="sales", params=Params(period="last_7_days"), format="csv")
    assert outsider_api.get(url("api_report_run_detail", run.pk)).status_code == 404
    assert api.get(url("api_report_run_detail", run.pk + 1)).status_code == 404
    assert admin_api.get(url("api_report_run_detail", run.pk)).json()["requested_by"] == "nina"
