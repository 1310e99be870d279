from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Customers' rights over their personal data (UK GDPR): a copy of everything held about
    them and erasure, across every app that holds it (crm, finance, inventory, notifications),
    so above all of them in the stack."""

    name = "ifixit.privacy"
    default_auto_field = "django.db.models.BigAutoField"
