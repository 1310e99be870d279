"""What the warehouse does when inventory undoes a sale (inventory.events.sale_unwinding,
connected in AnalyticsConfig.ready): inside the sale's transaction, so the fact goes with the
sale or not at all."""

from ifixit.analytics.warehouse.services import sale_withdrawn


def forget_unwound_sale(sender, *, sale, **kwargs) -> None:
    sale_withdrawn(sale_id=sale.pk)
