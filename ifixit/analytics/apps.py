from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ifixit.analytics"
    label = "analytics"
    verbose_name = "Market analytics"
