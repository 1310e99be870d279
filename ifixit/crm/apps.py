from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "ifixit.crm"
    label = "crm"
    verbose_name = "Customers"

    def ready(self):
        # Customer care builds on inventory: it says whom a car may be sold to, and follows a
        # sale's customer (inventory.extensions, inventory.events).
        from ifixit.crm import sales
        from ifixit.inventory import events, extensions

        extensions.provide_customer_for_sale(sales.customer_for_sale)
        events.sale_recorded.connect(sales.follow_up_sale, dispatch_uid="crm.follow_up_sale")
        events.sale_unwinding.connect(sales.forget_unwound_sale, dispatch_uid="crm.forget_unwound_sale")
