from django.urls import path

from ifixit.dashboard.jobs import api

urlpatterns = [
    path("runs/", api.JobRunListApi.as_view(), name="api-job-runs"),
    path("runs/<int:run_id>/", api.JobRunDetailApi.as_view(), name="api-job-run"),
    path("runs/<int:run_id>/retry/", api.JobRunRetryApi.as_view(), name="api-job-run-retry"),
    path("runs/<int:run_id>/discard/", api.JobRunDiscardApi.as_view(), name="api-job-run-discard"),
    path("tasks/", api.TaskStatsApi.as_view(), name="api-job-tasks"),
    path("schedules/", api.ScheduleListApi.as_view(), name="api-job-schedules"),
    path("alerts/", api.OpsAlertListApi.as_view(), name="api-job-alerts"),
]
