"""What customer care does when inventory sells a car: the receivers of inventory.events and the
customers a sale may be made to, connected in CrmConfig.ready (inventory.extensions). The
receivers run inside the sale's transaction: if one fails, the sale is undone with it."""

from ifixit.crm import services
from ifixit.crm.selectors import customers_visible_to


def customer_for_sale(*, user, customer_id: int):
    """A customer of the user's locations (merged records left out), or None."""
    return customers_visible_to(user).filter(pk=customer_id).first()


def follow_up_sale(sender, *, sale, user, **kwargs) -> None:
    services.after_sale(sale=sale)


def forget_unwound_sale(sender, *, sale, user, note, **kwargs) -> None:
    services.sale_unwound(sale=sale, user=user, note=note)
