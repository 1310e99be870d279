"""The forecast page's route, included by the analytics app's urls."""

from django.urls import path

from ifixit.analytics import forecast_views

urlpatterns = [
    path("forecast/", forecast_views.forecast, name="analytics_forecast"),
]
