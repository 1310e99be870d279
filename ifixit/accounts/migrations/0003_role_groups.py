"""Create the five role groups with their permissions (ifixit.accounts.roles)."""

from django.db import migrations


def create_role_groups(apps, schema_editor):
    # Permissions are created by a post_migrate signal, after all migrations; make
    # sure they exist now so the groups can be given them.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    from ifixit.accounts.roles import sync_role_groups

    sync_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), strict=False)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("inventory", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
