from django.urls import path

from ifixit.dashboard.jobs import views

urlpatterns = [
    path("", views.jobs_overview, name="jobs_overview"),
    path("runs/", views.job_runs, name="job_runs"),
    path("runs/<int:pk>/", views.job_run_detail, name="job_run_detail"),
    path("runs/<int:pk>/<slug:action>/", views.job_run_action, name="job_run_action"),
]
