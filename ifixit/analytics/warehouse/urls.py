"""The import pages' routes, included by the analytics app's urls."""

from django.urls import path

from ifixit.analytics.warehouse import views

urlpatterns = [
    path("imports/", views.import_list, name="analytics_import_list"),
    path("imports/new/", views.import_new, name="analytics_import_new"),
    path("imports/new/map/", views.import_map, name="analytics_import_map"),
    path("imports/<int:pk>/", views.import_detail, name="analytics_import_detail"),
]
