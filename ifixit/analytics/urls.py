from django.urls import include, path

from ifixit.analytics import market_views, views

urlpatterns = [
    path("", market_views.market, name="analytics_market"),
    path("compare/car/<int:pk>/", market_views.compare_car, name="analytics_compare_car"),
    path("compare/lot/<int:pk>/", market_views.compare_lot, name="analytics_compare_lot"),
    path("", include("ifixit.analytics.benchmark_urls")),
    path("", include("ifixit.analytics.forecast_urls")),
    path("", include("ifixit.analytics.valuation_urls")),
    path("imports/", views.import_list, name="analytics_import_list"),
    path("imports/new/", views.import_new, name="analytics_import_new"),
    path("imports/new/map/", views.import_map, name="analytics_import_map"),
    path("imports/<int:pk>/", views.import_detail, name="analytics_import_detail"),
]
