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


def is_group_admin(user) -> bool:
    """An admin of the whole group (or a superuser): the integration dashboard and the job pages."""
    return bool(user and user.is_authenticated and user.is_active and (user.is_superuser or user.role == ADMIN))

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
        "locations.view_location",
        "locations.change_repair_thresholds",
        "inventory.view_transfer",
        "inventory.add_transfer",
        "inventory.approve_transfer",
        "auctions.view_lot",
        "auctions.view_auctionsource",
        "crm.view_customer",
        "crm.add_customer",
        "crm.change_customer",
        # A customer's right to erasure is answered by the location's manager (or an
        # admin), not by the salesperson who deals with them.
        "crm.erase_customer",
        "crm.add_communication",
        "crm.view_followup",
        "crm.add_followup",
        "crm.change_followup",
        "crm.view_survey",
        "crm.view_followuprule",
        "crm.change_followuprule",
        "inventory.deliver_sale",
        "finance.view_lender",
        "finance.add_lender",
        "finance.change_lender",
        "finance.view_financeapplication",
        "finance.add_financeapplication",
        "finance.change_financeapplication",
        "reports.view_schedule",
        "reports.view_money_reports",
        "reports.add_schedule",
        "reports.change_schedule",
        "reports.delete_schedule",
        "analytics.import_sales",
    ],
    BUYER: [
        "inventory.view_car",
        "inventory.add_car",
        "inventory.change_car",
        "inventory.change_phase",
        "inventory.add_carphoto",
        "locations.view_location",
        "inventory.view_transfer",
        "inventory.add_transfer",
        "auctions.view_lot",
        "auctions.view_auctionsource",
        "reports.view_schedule",
        "reports.view_money_reports",
        "reports.add_schedule",
        "reports.change_schedule",
        "reports.delete_schedule",
    ],
    SALES: [
        "inventory.view_car",
        "inventory.change_phase",
        "inventory.add_carphoto",
        "inventory.add_sale",
        "locations.view_location",
        "inventory.view_transfer",
        "inventory.add_transfer",
        "crm.view_customer",
        "crm.add_customer",
        "crm.change_customer",
        "crm.add_communication",
        "crm.view_followup",
        "crm.add_followup",
        "crm.change_followup",
        "crm.view_survey",
        "inventory.deliver_sale",
        "finance.view_lender",
        "finance.view_financeapplication",
        "finance.add_financeapplication",
        "finance.change_financeapplication",
        "reports.view_schedule",
        "reports.view_money_reports",
        "reports.add_schedule",
        "reports.change_schedule",
        "reports.delete_schedule",
    ],
    WORKSHOP: [
        "inventory.view_car",
        "inventory.change_phase",
        "inventory.add_repairitem",
        "inventory.delete_repairitem",
        "inventory.add_carphoto",
        "locations.view_location",
        "inventory.view_transfer",
        "reports.view_schedule",
        "reports.add_schedule",
        "reports.change_schedule",
        "reports.delete_schedule",
    ],
}


def sync_role_groups(group_model, permission_model, *, strict: bool = True) -> None:
    """Create the role groups and set their permissions to exactly ROLE_PERMISSIONS.

    strict=False skips permissions that do not exist yet (an early migration runs with
    the models of its time; the post_migrate sync completes the groups).
    """
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        if role == ADMIN:
            perms = list(permission_model.objects.all())
        else:
            perms = []
            for label, codename in (p.split(".", 1) for p in ROLE_PERMISSIONS[role]):
                found = permission_model.objects.filter(content_type__app_label=label, codename=codename).first()
                if found is None and strict:
                    raise LookupError(f"role {role}: no permission {label}.{codename}")
                if found is not None:
                    perms.append(found)
        group.permissions.set(perms)
