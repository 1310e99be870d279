from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "ifixit.finance"
    label = "finance"
    verbose_name = "Finance"

    def ready(self):
        # Finance builds on crm: it adds itself to the customer's page and follows a merge.
        from ifixit.crm import extensions
        from ifixit.finance import customers

        extensions.add_customer_panel(extensions.CustomerPanel("finance/_customer_applications.html", customers.panel))
        extensions.customers_merged.connect(customers.follow_merge, dispatch_uid="finance.follow_merge")

        # And on inventory: its card on the car's page, and what a sale means to the car's
        # applications (inventory.extensions, inventory.events; in the sale's transaction).
        from ifixit.finance import cars, sales
        from ifixit.inventory import events
        from ifixit.inventory import extensions as car_extensions

        car_extensions.add_car_panel(car_extensions.CarPanel("finance/_car_finance.html", cars.panel))
        events.sale_recorded.connect(sales.withdraw_for_cash_sale, dispatch_uid="finance.withdraw_for_cash_sale")
        events.sale_delivering.connect(sales.refuse_delivery_until_funded, dispatch_uid="finance.refuse_delivery_until_funded")
        events.sale_switched_to_cash.connect(sales.withdraw_for_switch_to_cash, dispatch_uid="finance.withdraw_for_switch_to_cash")
        events.transfer_requesting.connect(sales.refuse_transfer_while_open, dispatch_uid="finance.refuse_transfer_while_open")
