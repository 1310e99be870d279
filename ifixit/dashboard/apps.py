from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "ifixit.dashboard"
    verbose_name = "Integration dashboard"
    default_auto_field = "django.db.models.BigAutoField"
