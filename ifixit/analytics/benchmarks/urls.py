"""The benchmarks page's route, included by the analytics app's urls."""

from django.urls import path

from ifixit.analytics.benchmarks import views

urlpatterns = [
    path("benchmarks/", views.benchmarks, name="analytics_benchmarks"),
]
