"""The analytics pages, included at /analytics/: each sub-domain's routes, in one place."""

from django.urls import include, path

urlpatterns = [
    path("", include("ifixit.analytics.market.urls")),
    path("", include("ifixit.analytics.benchmarks.urls")),
    path("", include("ifixit.analytics.forecast.urls")),
    path("", include("ifixit.analytics.valuation.urls")),
    path("", include("ifixit.analytics.warehouse.urls")),
]
