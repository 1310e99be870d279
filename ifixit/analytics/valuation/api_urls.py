"""REST API v1 routes of the value model (its versions, a valuation), included by the
analytics app's api_urls."""

from django.urls import path

from ifixit.analytics.valuation import api

urlpatterns = [
    path("analytics/value-models/", api.ValueModelListApi.as_view(), name="api_analytics_value_models"),
    path("analytics/valuation/", api.ValuationApi.as_view(), name="api_analytics_valuation"),
]
