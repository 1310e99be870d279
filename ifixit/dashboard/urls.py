from django.urls import include, path

from ifixit.dashboard import views

urlpatterns = [
    path("", views.integration_dashboard, name="integration_dashboard"),
    path("jobs/", include("ifixit.dashboard.jobs.urls")),
    path("feeds/<int:source_id>/<slug:action>/", views.feed_action, name="feed_action"),
    path("opportunities/", views.opportunity_queue, name="opportunity_queue"),
    path("opportunities/<int:lot_id>/", views.opportunity_action, name="opportunity_action"),
]
