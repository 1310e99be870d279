from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "ifixit.finance"
    label = "finance"
    verbose_name = "Finance"
