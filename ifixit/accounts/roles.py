"""The five roles of a dealer group, kept as auth groups with permissions.

A role says what a user may do; the locations on the user say where. The
permissions are synced into the groups by the `sync_roles` migration and command,
so a role's rights live here, in code, reviewed like code.
"""

ADMIN = "admin"
MANAGER = "manager"
BUYER = "buyer"
SALES = "sales"
WORKSHOP = "workshop"

ROLES = [ADMIN, MANAGER, BUYER, SALES, WORKSHOP]

# "app_label.codename" permissions held by each role. Admins hold every permission
# and see every location.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    MANAGER: [
        "inventory.view_car",
        "inventory.add_car",
        "inventory.change_car",
        "inventory.change_phase",
        "inventory.add_repairitem",
        "inventory.delete_repairitem",
        "inventory.add_carphoto",
        "inventory.delete_carphoto",
        "inventory.add_sale",
        "inventory.view_location",
    ],
    BUYER: [
        "inventory.view_car",
        "inventory.add_car",
        "inventory.change_car",
        "inventory.change_phase",
        "inventory.add_carphoto",
        "inventory.view_location",
    ],
    SALES: [
        "inventory.view_car",
        "inventory.change_phase",
        "inventory.add_carphoto",
        "inventory.add_sale",
        "inventory.view_location",
    ],
    WORKSHOP: [
        "inventory.view_car",
        "inventory.change_phase",
        "inventory.add_repairitem",
        "inventory.delete_repairitem",
        "inventory.add_carphoto",
        "inventory.view_location",
    ],
}


def sync_role_groups(group_model, permission_model) -> None:
    """Create the role groups and set their permissions to exactly ROLE_PERMISSIONS."""
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        if role == ADMIN:
            perms = permission_model.objects.all()
        else:
            wanted = ROLE_PERMISSIONS[role]
            perms = [
                permission_model.objects.get(content_type__app_label=label, codename=codename)
                for label, codename in (p.split(".", 1) for p in wanted)
            ]
        group.permissions.set(perms)
