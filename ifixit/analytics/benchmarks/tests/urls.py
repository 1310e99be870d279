"""The project's routes plus the benchmarks' page and API, so their tests run before the
routes are wired into ifixit.urls."""

from django.urls import include, path

from ifixit.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("analytics/", include("ifixit.analytics.benchmarks.urls")),
    path("api/v1/", include("ifixit.analytics.benchmarks.api_urls")),
]
