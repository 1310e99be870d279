"""REST API v1 route of the market forecast, included by the analytics app's api_urls."""

from django.urls import path

from ifixit.analytics.forecast import api

urlpatterns = [
    path("analytics/forecast/", api.ForecastApi.as_view(), name="api_analytics_forecast"),
]
