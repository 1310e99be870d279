"""REST API v1 of reports, who may call and how: every endpoint refuses anonymous callers
(401) and the wrong method (405) without writing anything; the schema validates and holds
every report path."""

from django.core.management import call_command

from ifixit.reports import services
from ifixit.reports.models import Run, Schedule
from ifixit.reports.tests.builders import new_schedule, schedule_of, url

# --- Who may call, and how --------------------------------------------------------------------------------


def test_every_endpoint_refuses_anonymous(anon, assert_unauthenticated, manager):
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
