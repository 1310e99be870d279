"""REST API v1 routes of the market (trend, seasonality, comparison), included by the
analytics app's api_urls."""

from django.urls import path

from ifixit.analytics.market import api

urlpatterns = [
    path("analytics/trend/", api.TrendApi.as_view(), name="api_analytics_trend"),
    path("analytics/seasonality/", api.SeasonalityApi.as_view(), name="api_analytics_seasonality"),
    path("analytics/compare/cars/<int:car_id>/", api.CarComparisonApi.as_view(), name="api_analytics_compare_car"),
    path("analytics/compare/lots/<int:lot_id>/", api.LotComparisonApi.as_view(), name="api_analytics_compare_lot"),
]
