from django.urls import path

from ifixit.dashboard import views

urlpatterns = [
    path("", views.integration_dashboard, name="integration_dashboard"),
    path("feeds/<int:source_id>/<slug:action>/", views.feed_action, name="feed_action"),
]
