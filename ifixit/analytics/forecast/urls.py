"""The forecast page's route, included by the analytics app's urls."""

from django.urls import path

from ifixit.analytics.forecast import views

urlpatterns = [
    path("forecast/", views.forecast, name="analytics_forecast"),
]
