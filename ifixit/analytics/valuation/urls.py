"""Pages of the value model, included by the analytics app's urls."""

from django.urls import path

from ifixit.analytics.valuation import views

urlpatterns = [
    path("value-model/", views.value_model, name="analytics_value_model"),
    path("value-model/train/", views.value_model_train, name="analytics_value_model_train"),
]
