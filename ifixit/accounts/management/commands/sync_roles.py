"""Reset the role groups' permissions to what ifixit.accounts.roles says (run after
adding a permission to a role)."""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

from ifixit.accounts.roles import sync_role_groups


class Command(BaseCommand):
    help = "Create the role groups and set their permissions from ifixit.accounts.roles."

    def handle(self, *args, **options):
        sync_role_groups(Group, Permission)
        self.stdout.write(self.style.SUCCESS("Role groups synced."))
