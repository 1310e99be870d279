"""The benchmarks page's route, included by the analytics app's urls."""

from django.urls import path

from ifixit.analytics import benchmark_views

urlpatterns = [
    path("benchmarks/", benchmark_views.benchmarks, name="analytics_benchmarks"),
]
