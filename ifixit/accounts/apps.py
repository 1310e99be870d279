from django.apps import AppConfig
from django.db.models.signals import post_migrate


def sync_roles_after_migrate(sender, using, **kwargs):
    """Keep the role groups in line with roles.py after every migrate, including the
    test database's: a permission added in code reaches the roles without a step to
    remember."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from ifixit.accounts.roles import sync_role_groups

    # post_migrate runs app by app; make every app's permissions exist before syncing.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_role_groups(Group, Permission)


class AccountsConfig(AppConfig):
    name = "ifixit.accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_migrate.connect(sync_roles_after_migrate, sender=self)
        from ifixit.accounts import audit, permissions, sessions, signin  # noqa: F401 (their signal receivers)
