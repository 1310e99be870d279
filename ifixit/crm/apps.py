from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "ifixit.crm"
    label = "crm"
    verbose_name = "Customers"
