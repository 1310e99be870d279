"""REST API v1 routes of analytics (market and benchmarks), included at /api/v1/."""

from django.urls import path

from ifixit.analytics import benchmark_api, market_api

urlpatterns = [
    path("analytics/trend/", market_api.TrendApi.as_view(), name="api_analytics_trend"),
    path("analytics/seasonality/", market_api.SeasonalityApi.as_view(), name="api_analytics_seasonality"),
    path("analytics/compare/cars/<int:car_id>/", market_api.CarComparisonApi.as_view(), name="api_analytics_compare_car"),
    path("analytics/compare/lots/<int:lot_id>/", market_api.LotComparisonApi.as_view(), name="api_analytics_compare_lot"),
    path("analytics/benchmarks/", benchmark_api.BenchmarkApi.as_view(), name="api_analytics_benchmarks"),
]
