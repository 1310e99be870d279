from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`manage.py seed_demo`: every app's demo data (each app's demo_data.py), seeded in the
    order the apps build on each other. At the top of the stack, as it knows every app."""

    name = "ifixit.demo"
    default_auto_field = "django.db.models.BigAutoField"
