"""REST API v1 routes of valuation and advice, included at /api/v1/."""

from django.urls import path

from ifixit.analytics import valuation_api

urlpatterns = [
    path("analytics/value-models/", valuation_api.ValueModelListApi.as_view(), name="api_analytics_value_models"),
    path("analytics/valuation/", valuation_api.ValuationApi.as_view(), name="api_analytics_valuation"),
    path("analytics/advice/lots/<int:lot_id>/", valuation_api.LotAdviceApi.as_view(), name="api_analytics_lot_advice"),
    path("analytics/advice/cars/<int:car_id>/", valuation_api.CarAdviceApi.as_view(), name="api_analytics_car_advice"),
    path("analytics/self-audit/", valuation_api.SelfAuditApi.as_view(), name="api_analytics_self_audit"),
]
