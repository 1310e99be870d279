"""REST API v1 route of the benchmarks, included at /api/v1/."""

from django.urls import path

from ifixit.analytics import benchmark_api

urlpatterns = [
    path("analytics/benchmarks/", benchmark_api.BenchmarkApi.as_view(), name="api_analytics_benchmarks"),
]
