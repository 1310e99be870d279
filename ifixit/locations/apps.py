from django.apps import AppConfig


class LocationsConfig(AppConfig):
    """The group's sites and who may see which: the bottom of the stack with accounts, so
    every app may hang rows on a location. The sites' pages (the list with stock, a site's
    figures, managing sites) build on the cars and live in inventory.sites."""

    name = "ifixit.locations"
    default_auto_field = "django.db.models.BigAutoField"
