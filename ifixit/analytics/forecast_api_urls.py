"""REST API v1 route of the market forecast, included at /api/v1/."""

from django.urls import path

from ifixit.analytics import forecast_api

urlpatterns = [
    path("analytics/forecast/", forecast_api.ForecastApi.as_view(), name="api_analytics_forecast"),
]
