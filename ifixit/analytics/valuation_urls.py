"""Pages of the value model, included under /analytics/."""

from django.urls import path

from ifixit.analytics import valuation_views

urlpatterns = [
    path("value-model/", valuation_views.value_model, name="analytics_value_model"),
    path("value-model/train/", valuation_views.value_model_train, name="analytics_value_model_train"),
]
