"""REST API v1 routes of the advice (a lot's bid, a car's stock advice) and of the self-audit
with the advice backtest, included by the analytics app's api_urls."""

from django.urls import path

from ifixit.analytics.advice import api

urlpatterns = [
    path("analytics/advice/lots/<int:lot_id>/", api.LotAdviceApi.as_view(), name="api_analytics_lot_advice"),
    path("analytics/advice/cars/<int:car_id>/", api.CarAdviceApi.as_view(), name="api_analytics_car_advice"),
    path("analytics/self-audit/", api.SelfAuditApi.as_view(), name="api_analytics_self_audit"),
]
