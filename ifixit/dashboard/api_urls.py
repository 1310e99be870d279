from django.urls import include, path

from ifixit.dashboard import api

urlpatterns = [
    path("jobs/", include("ifixit.dashboard.jobs.api_urls")),
    path("job-probes/", api.JobProbeListApi.as_view(), name="api-job-probes"),
    path("job-probes/<uuid:probe_id>/", api.JobProbeDetailApi.as_view(), name="api-job-probe"),
    path("job-health/", api.JobHealthApi.as_view(), name="api-job-health"),
    path("feeds/", api.FeedListApi.as_view(), name="api-feeds"),
    path("feeds/<int:source_id>/<slug:action>/", api.FeedActionApi.as_view(), name="api-feed-action"),
]
