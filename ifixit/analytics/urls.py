from django.urls import include, path

from ifixit.analytics import views

urlpatterns = [
    path("", include("ifixit.analytics.benchmark_urls")),
    path("imports/", views.import_list, name="analytics_import_list"),
    path("imports/new/", views.import_new, name="analytics_import_new"),
    path("imports/new/map/", views.import_map, name="analytics_import_map"),
    path("imports/<int:pk>/", views.import_detail, name="analytics_import_detail"),
]
