from django.urls import path

from ifixit.reports import views

urlpatterns = [
    path("", views.report_catalogue, name="report_catalogue"),
    path("schedules/", views.schedule_list, name="report_schedule_list"),
    path("schedules/new/", views.schedule_create, name="report_schedule_create"),
    path("schedules/<int:pk>/", views.schedule_detail, name="report_schedule_detail"),
    path("schedules/<int:pk>/edit/", views.schedule_edit, name="report_schedule_edit"),
    path("schedules/<int:pk>/<slug:action>/", views.schedule_action, name="report_schedule_action"),
    path("runs/<int:pk>/", views.run_detail, name="report_run_detail"),
    path("runs/<int:pk>/file/", views.run_file, name="report_run_file"),
    path("files/<str:token>/", views.run_file_link, name="report_file_link"),
    path("<slug:key>/", views.report_run, name="report_run"),
    path("<slug:key>/generate/", views.report_generate, name="report_generate"),
]
