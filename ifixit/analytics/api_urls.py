"""REST API v1 routes of analytics, included at /api/v1/: each sub-domain's, in one place."""

from django.urls import include, path

urlpatterns = [
    path("", include("ifixit.analytics.market.api_urls")),
    path("", include("ifixit.analytics.benchmarks.api_urls")),
    path("", include("ifixit.analytics.forecast.api_urls")),
    path("", include("ifixit.analytics.valuation.api_urls")),
    path("", include("ifixit.analytics.advice.api_urls")),
]
