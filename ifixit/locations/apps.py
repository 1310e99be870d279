from django.apps import AppConfig


class LocationsConfig(AppConfig):
    """Pages about the group's sites: managing them and each one's inventory figures.
    The Location model itself lives in inventory, beside the cars that reference it."""

    name = "ifixit.locations"
    default_auto_field = "django.db.models.BigAutoField"
