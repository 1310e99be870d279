"""The market pages' routes, included by the analytics app's urls."""

from django.urls import path

from ifixit.analytics.market import views

urlpatterns = [
    path("", views.market, name="analytics_market"),
    path("compare/car/<int:pk>/", views.compare_car, name="analytics_compare_car"),
    path("compare/lot/<int:pk>/", views.compare_lot, name="analytics_compare_lot"),
]
