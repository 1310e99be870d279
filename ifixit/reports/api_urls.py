"""REST API v1 routes of reports, included at /api/v1/."""

from django.urls import path

from ifixit.reports import api

urlpatterns = [
    path("reports/", api.CatalogueApi.as_view(), name="api_report_catalogue"),
    path("reports/<slug:key>/", api.ReportResultApi.as_view(), name="api_report_result"),
    path("reports/<slug:key>/file/", api.ReportFileApi.as_view(), name="api_report_file"),
    path("reports/<slug:key>/runs/", api.ReportGenerateApi.as_view(), name="api_report_generate"),
    path("report-runs/<int:run_id>/", api.RunDetailApi.as_view(), name="api_report_run_detail"),
    path("report-schedules/", api.ScheduleListApi.as_view(), name="api_report_schedule_list"),
    path("report-schedules/<int:schedule_id>/", api.ScheduleDetailApi.as_view(), name="api_report_schedule_detail"),
    path("report-schedules/<int:schedule_id>/pause/", api.SchedulePauseApi.as_view(), name="api_report_schedule_pause"),
    path(
        "report-schedules/<int:schedule_id>/resume/", api.ScheduleResumeApi.as_view(), name="api_report_schedule_resume"
    ),
    path(
        "report-schedules/<int:schedule_id>/send-now/",
        api.ScheduleSendNowApi.as_view(),
        name="api_report_schedule_send_now",
    ),
    path("report-schedules/<int:schedule_id>/runs/", api.ScheduleRunsApi.as_view(), name="api_report_schedule_runs"),
]
