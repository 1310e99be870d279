"""REST API v1 of reports: the catalogue by role, a report on screen as JSON (totals that
add up, values JSON-safe), its files read back (CSV, XLSX, PDF) or made in the background,
runs and their status, schedules made, changed, paused, resumed, sent now and their
history; for each, anonymous (401), a role without the report (403), another user's
schedule or run (404), the wrong method (405) and bad input (field-keyed 400 with
nothing written); fixed query counts and the schema."""

import csv
import io
from datetime import time, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from ifixit.accounts.models import User
from ifixit.inventory.models import Phase, Sale
from ifixit.reports import periods, services
from ifixit.reports.models import Run, Schedule
from ifixit.testing.factories import CarFactory, UserFactory

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


def url(name, *args):
    return reverse(name, args=args)


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def sold(location, *, days_ago: int = 2, price: str = "10000", make: str = "Ford", model: str = "Focus") -> Sale:
    car = CarFactory(location=location, phase=Phase.SOLD, make=make, model=model)
    return Sale.objects.create(
        car=car, sold_on=timezone.localdate() - timedelta(days=days_ago), price=Decimal(price), location=location,
        cost_at_sale=car.acquisition_cost, delivered_at=timezone.now(),
    )


def schedule_of(user, **fields) -> Schedule:
    data = {
        "report_key": "sales",
        "params": {"period": "last_30_days"},
        "format": "csv",
        "frequency": "weekly",
        "weekday": 0,
        "time_of_day": time(7, 0),
        "time_zone": "Europe/London",
        "recipient_user_ids": [user.pk],
        **fields,
    }
    return services.schedule_save(user=user, **data)


def new_schedule(user, **changes) -> dict:
    return {
        "name": "Monday sales",
        "report_key": "sales",
        "params": {"period": "last_week", "make": "Ford"},
        "format": "xlsx",
        "frequency": "weekly",
        "weekday": 0,
        "time_of_day": "07:00",
        "time_zone": "Europe/London",
        "recipient_user_ids": [user.pk],
        "recipient_emails": ["Accounts@Example.com", "bank@example.com"],
        **changes,
    }


def sales_path(**query) -> str:
    query = {"period": "last_30_days", **query}
    return url("api_report_result", "sales") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


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
    assert [row[price] for row in values[header_at + 1:] if row[price] is not None] == [10000, 10000]


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


def test_someone_else_s_run_is_not_found_but_an_admin_sees_it(api, outsider_api, admin_user, manager):
    from ifixit.reports.catalogue import Params

    run = services.report_generate(user=manager, report_key="sales", params=Params(period="last_7_days"), format="csv")
    assert outsider_api.get(url("api_report_run_detail", run.pk)).status_code == 404
    assert api.get(url("api_report_run_detail", run.pk + 1)).status_code == 404
    assert api_for(admin_user).get(url("api_report_run_detail", run.pk)).json()["requested_by"] == "nina"


# --- Schedules -----------------------------------------------------------------------------------------


def test_a_schedule_is_made_with_its_cadence_next_runs_and_recipients(api, manager):
    response = api.post(url("api_report_schedule_list"), new_schedule(manager), format="json")

    assert response.status_code == 201, response.json()
    made = Schedule.objects.get()
    assert (made.owner, made.name, made.format) == (manager, "Monday sales", "xlsx")
    assert (made.frequency, made.weekday, made.time_of_day) == ("weekly", 0, time(7))
    assert made.params == {"period": "last_week", "locations": [], "phase": "", "make": "Ford"}
    assert made.emails == ["accounts@example.com", "bank@example.com"]
    assert list(made.recipient_users.all()) == [manager]
    body = response.json()
    assert body["cadence"] == "Weekly on Monday at 07:00 (Europe/London)"
    assert body["is_active"] and body["owner"] == "nina" and body["report_title"] == "Sales and gross profit"
    assert body["recipient_emails"] == ["accounts@example.com", "bank@example.com"]
    assert [user["username"] for user in body["recipient_users"]] == ["nina"]
    assert len(body["upcoming"]) == 3 and body["next_run_at"] == body["upcoming"][0]
    assert body["url"] == "http://testserver" + url("api_report_schedule_detail", made.pk)


def test_a_schedule_without_params_takes_the_report_s_default_period(api, manager):
    body = new_schedule(manager, frequency="monthly", on_last_day=True, weekday=None)
    del body["params"]
    response = api.post(url("api_report_schedule_list"), body, format="json")

    assert response.status_code == 201, response.json()
    made = Schedule.objects.get()
    assert made.params["period"] == "last_month" and made.on_last_day and made.weekday is None
    assert response.json()["cadence"] == "Monthly on the last day at 07:00 (Europe/London)"


@pytest.mark.parametrize(
    "changes, field, says",
    [
        ({"recipient_user_ids": [], "recipient_emails": []}, "recipient_users", "at least one recipient"),
        ({"recipient_emails": ["accounts@example"]}, "recipient_emails", "is not an email address"),
        ({"recipient_emails": "accounts@example.com"}, "recipient_emails", "Expected a list"),
        ({"params": {"period": "last_week", "phase": "fixing"}}, "phase", "does not take a phase"),
        ({"params": {"period": "custom", "start": "2026-06-01", "end": "2026-05-01"}}, "end", "ends before it starts"),
        ({"params": {"period": "last_week", "colour": "red"}}, "params.colour", "No report takes"),
        ({"params": {"start": "June"}}, "start", "wrong format"),
        ({"params": "last_week"}, "params", "dictionary"),
        ({"format": "doc"}, "format", "not a valid choice"),
        ({"report_key": "gossip"}, "report_key", "no report"),
        ({"weekday": None}, "weekday", "day of the week"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a time zone"),
        ({"owner": 1}, "owner", "cannot be changed"),
    ],
)
def test_a_bad_schedule_is_refused_by_field_and_nothing_is_written(api, manager, changes, field, says):
    response = api.post(url("api_report_schedule_list"), new_schedule(manager, **changes), format="json")

    assert response.status_code == 400
    assert says in " ".join(response.json().get(field, [])), response.json()
    assert not Schedule.objects.exists()


def test_the_workshop_schedules_its_own_reports_but_not_prices_and_profit(workshop_api, workshop_user):
    refused = workshop_api.post(url("api_report_schedule_list"), new_schedule(workshop_user), format="json")
    assert refused.status_code == 400 and "may not run" in refused.json()["report_key"][0]
    assert not Schedule.objects.exists()
    repairs = new_schedule(workshop_user, report_key="repairs")
    made = workshop_api.post(url("api_report_schedule_list"), repairs, format="json")
    assert made.status_code == 201, made.json()
    assert Schedule.objects.get().owner == workshop_user


def test_a_schedule_refuses_a_location_the_owner_may_not_see(api, manager, south):
    body = new_schedule(manager, params={"period": "last_week", "locations": [south.pk]})
    response = api.post(url("api_report_schedule_list"), body, format="json")
    assert response.status_code == 400 and "only on your own locations" in response.json()["locations"][0]
    assert not Schedule.objects.exists()


def test_the_list_shows_the_users_schedules_and_an_admin_everyone_s(api, manager, outsider, admin_user):
    mine = schedule_of(manager, name="B weekly")
    paused = schedule_of(manager, name="A paused")
    services.schedule_pause(user=manager, schedule_id=paused.pk)
    theirs = schedule_of(outsider, name="Theirs")

    body = api.get(url("api_report_schedule_list")).json()

    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [mine.pk, paused.pk]  # active first
    assert body["results"][1]["upcoming"] == [] and body["results"][1]["next_run_at"] is None
    every = api_for(admin_user).get(url("api_report_schedule_list")).json()
    assert {row["id"] for row in every["results"]} == {mine.pk, paused.pk, theirs.pk}


def test_the_list_runs_a_fixed_number_of_queries(manager, north):
    colleague = UserFactory(locations=[north])

    def count_queries() -> tuple[int, int]:
        client = api_for(User.objects.get(pk=manager.pk))  # permissions are cached on the user object
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url("api_report_schedule_list"))
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    for n in range(2):
        schedule_of(manager, name=f"Schedule {n}", recipient_user_ids=[manager.pk, colleague.pk])
    few, two = count_queries()
    for n in range(2, 10):
        schedule_of(manager, name=f"Schedule {n}", recipient_user_ids=[manager.pk, colleague.pk])
    many, ten = count_queries()
    assert (two, ten) == (2, 10)
    # The user's permissions (2), the page's count, its rows (owner selected) and their recipients.
    assert few == many == 5


def test_a_schedule_is_changed_in_part(api, manager):
    made = schedule_of(manager, recipient_emails="old@example.com")

    response = api.patch(
        url("api_report_schedule_detail", made.pk),
        {"name": "Daily sales", "frequency": "daily", "time_of_day": "06:30", "recipient_emails": ["new@example.com"]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    made.refresh_from_db()
    assert (made.name, made.frequency, made.weekday, made.time_of_day) == ("Daily sales", "daily", None, time(6, 30))
    assert made.emails == ["new@example.com"] and made.params["period"] == "last_30_days"
    assert list(made.recipient_users.all()) == [manager]  # left as they were
    assert response.json()["cadence"] == "Daily at 06:30 (Europe/London)"
    params = api.patch(url("api_report_schedule_detail", made.pk), {"params": {"period": "last_month"}}, format="json")
    assert params.status_code == 200 and params.json()["params"]["period"] == "last_month"


def test_a_bad_change_is_refused_and_the_schedule_stays_as_it_was(api, manager):
    made = schedule_of(manager)
    for body, field in (
        ({"recipient_user_ids": [], "recipient_emails": []}, "recipient_users"),
        ({"params": {"period": "last_week", "phase": "sold"}}, "phase"),
        ({"time_zone": "Nowhere/City"}, "time_zone"),
        ({"is_active": False}, "is_active"),
    ):
        response = api.patch(url("api_report_schedule_detail", made.pk), body, format="json")
        assert response.status_code == 400 and field in response.json(), (body, response.json())
    made.refresh_from_db()
    assert (made.time_zone, made.params["period"], made.is_active) == ("Europe/London", "last_30_days", True)
    assert list(made.recipient_users.all()) == [manager]


def test_pause_resume_and_delete(api, manager):
    made = schedule_of(manager)

    paused = api.post(url("api_report_schedule_pause", made.pk))
    assert paused.status_code == 200 and paused.json()["is_active"] is False and paused.json()["next_run_at"] is None
    resumed = api.post(url("api_report_schedule_resume", made.pk))
    assert resumed.status_code == 200 and resumed.json()["is_active"] is True
    made.refresh_from_db()
    assert made.is_active and made.next_run_at > timezone.now()
    assert api.delete(url("api_report_schedule_detail", made.pk)).status_code == 204
    assert not Schedule.objects.exists()
    assert api.get(url("api_report_schedule_detail", made.pk)).status_code == 404


def test_send_now_runs_it_and_the_history_shows_the_run(api, manager, north, smtp_server):
    manager.email = "nina@example.com"
    manager.save()
    sold(north, days_ago=3)
    made = schedule_of(manager, recipient_emails="accounts@example.com")

    response = api.post(url("api_report_schedule_send_now", made.pk))

    assert response.status_code == 202, response.json()
    run = Run.objects.get()
    assert (run.trigger, run.schedule, response.json()["id"]) == ("send_now", made, run.pk)
    assert response["Location"] == "http://testserver" + url("api_report_run_detail", run.pk)
    services.run_execute(run_id=run.pk)
    history = api.get(url("api_report_schedule_runs", made.pk))
    assert history.status_code == 200
    [entry] = history.json()
    assert (entry["status"], entry["row_count"], entry["attempts"], entry["error"]) == ("sent", 1, 1, "")
    assert sorted(entry["recipients"]) == ["accounts@example.com", "nina@example.com"]
    assert entry["when"] == entry["created_at"] and entry["duration_ms"] is not None
    assert entry["file_name"].endswith(".csv")
    assert entry["download_url"] == "http://testserver" + url("report_run_file", run.pk)
    assert len(smtp_server.messages) == 1


def test_another_users_schedule_does_not_exist_for_them(outsider_api, manager):
    made = schedule_of(manager)
    run = services.schedule_send_now(user=manager, schedule_id=made.pk)

    assert outsider_api.get(url("api_report_schedule_detail", made.pk)).status_code == 404
    patch = outsider_api.patch(url("api_report_schedule_detail", made.pk), {"time_zone": "bad"}, format="json")
    assert patch.status_code == 404  # before the body is read
    assert outsider_api.delete(url("api_report_schedule_detail", made.pk)).status_code == 404
    for name in ("api_report_schedule_pause", "api_report_schedule_resume", "api_report_schedule_send_now"):
        assert outsider_api.post(url(name, made.pk)).status_code == 404
    assert outsider_api.get(url("api_report_schedule_runs", made.pk)).status_code == 404
    assert outsider_api.get(url("api_report_run_detail", run.pk)).status_code == 404
    assert outsider_api.get(url("api_report_schedule_list")).json()["count"] == 0
    made.refresh_from_db()
    assert made.is_active and made.time_zone == "Europe/London" and Run.objects.count() == 1


def test_an_admin_manages_anyone_s_schedule(manager, admin_user):
    made = schedule_of(manager)
    admin_api = api_for(admin_user)
    assert admin_api.post(url("api_report_schedule_pause", made.pk)).status_code == 200
    made.refresh_from_db()
    assert not made.is_active


def test_a_user_without_the_schedule_permissions_is_forbidden(manager, north):
    made = schedule_of(manager)
    nobody = UserFactory(locations=[north])
    nobody.groups.clear()
    client = api_for(nobody)
    for response in (
        client.get(url("api_report_schedule_list")),
        client.post(url("api_report_schedule_list"), new_schedule(nobody), format="json"),
        client.get(url("api_report_schedule_detail", made.pk)),
        client.post(url("api_report_schedule_send_now", made.pk)),
    ):
        assert response.status_code == 403
    assert Schedule.objects.count() == 1 and not Run.objects.exists()


# --- Who may call, and how --------------------------------------------------------------------------------


def test_every_endpoint_refuses_anonymous(anon, manager):
    made = schedule_of(manager)
    run = services.schedule_send_now(user=manager, schedule_id=made.pk)
    calls = [
        ("get", url("api_report_catalogue"), None),
        ("get", url("api_report_result", "sales"), None),
        ("get", url("api_report_file", "sales") + "?format=csv", None),
        ("post", url("api_report_generate", "sales"), {"format": "csv"}),
        ("get", url("api_report_run_detail", run.pk), None),
        ("get", url("api_report_schedule_list"), None),
        ("post", url("api_report_schedule_list"), new_schedule(manager)),
        ("get", url("api_report_schedule_detail", made.pk), None),
        ("patch", url("api_report_schedule_detail", made.pk), {"name": "x"}),
        ("delete", url("api_report_schedule_detail", made.pk), None),
        ("post", url("api_report_schedule_pause", made.pk), None),
        ("post", url("api_report_schedule_resume", made.pk), None),
        ("post", url("api_report_schedule_send_now", made.pk), None),
        ("get", url("api_report_schedule_runs", made.pk), None),
    ]
    for method, path, body in calls:
        assert_unauthenticated(getattr(anon, method)(path, body, format="json"))
    assert Schedule.objects.count() == 1 and Run.objects.count() == 1


def test_the_wrong_method_is_refused(api, manager):
    made = schedule_of(manager)
    calls = [
        ("delete", url("api_report_catalogue")),
        ("post", url("api_report_result", "sales")),
        ("post", url("api_report_file", "sales")),
        ("get", url("api_report_generate", "sales")),
        ("delete", url("api_report_run_detail", 1)),
        ("delete", url("api_report_schedule_list")),
        ("put", url("api_report_schedule_detail", made.pk)),
        ("get", url("api_report_schedule_pause", made.pk)),
        ("get", url("api_report_schedule_resume", made.pk)),
        ("get", url("api_report_schedule_send_now", made.pk)),
        ("post", url("api_report_schedule_runs", made.pk)),
    ]
    for method, path in calls:
        assert getattr(api, method)(path).status_code == 405, (method, path)
    made.refresh_from_db()
    assert made.is_active and not Run.objects.exists()


# --- Schema ---------------------------------------------------------------------------------------------


def test_the_schema_validates_without_warnings_and_has_reports(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for path in (
        "/api/v1/reports/:",
        "/api/v1/reports/{key}/:",
        "/api/v1/reports/{key}/file/:",
        "/api/v1/reports/{key}/runs/:",
        "/api/v1/report-runs/{run_id}/:",
        "/api/v1/report-schedules/{schedule_id}/send-now/:",
        "/api/v1/report-schedules/{schedule_id}/runs/:",
    ):
        assert path in schema

