"""REST API v1 routes of locations, included at /api/v1/ (inventory serves /api/v1/locations/)."""

from django.urls import path

from ifixit.inventory.sites import api

urlpatterns = [
    path("locations/<int:location_id>/figures/", api.LocationFiguresApi.as_view(), name="api_location_figures"),
]
