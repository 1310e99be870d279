from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ifixit.analytics"
    label = "analytics"
    verbose_name = "Market analytics"

    def ready(self):
        # Celery's autodiscovery imports an app's top-level tasks module only; analytics keeps
        # its tasks with their sub-domains.
        from ifixit.analytics.valuation import tasks as valuation_tasks  # noqa: F401
        from ifixit.analytics.warehouse import tasks as warehouse_tasks  # noqa: F401

        # The valuation is analytics', shown and alerted on by the apps below it, which do not
        # import it (imports point down): it hands them its functions.
        from ifixit.analytics.advice import selectors as advice
        from ifixit.auctions import valuation as lot_valuation
        from ifixit.inventory import valuation as car_valuation

        lot_valuation.provide(lot_valuation.Advisor(advice.lot_advice, advice.lot_advice_many, advice.model_accuracy))
        car_valuation.provide(advice.car_advice)

        # What inventory announces (inventory.events): a car bought is valued, after commit; an
        # undone sale leaves the warehouse in its transaction.
        from ifixit.analytics.valuation import cars as valued_cars
        from ifixit.analytics.warehouse import sales as warehouse_sales
        from ifixit.inventory import events

        events.car_bought.connect(valued_cars.value_when_bought, dispatch_uid="analytics.value_when_bought")
        events.sale_unwinding.connect(warehouse_sales.forget_unwound_sale, dispatch_uid="analytics.forget_unwound_sale")
