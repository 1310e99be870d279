from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "ifixit.reports"
    label = "reports"
    verbose_name = "Reports"
