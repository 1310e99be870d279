"""REST API v1 route of the make and model benchmarks, included by the analytics app's api_urls."""

from django.urls import path

from ifixit.analytics.benchmarks import api

urlpatterns = [
    path("analytics/benchmarks/", api.BenchmarkApi.as_view(), name="api_analytics_benchmarks"),
]
