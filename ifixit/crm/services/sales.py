"""What a sale means to customer care, and what undoing one takes back. Called by the
receivers of inventory's sale events (crm.sales), inside the sale's transaction."""

from ifixit.accounts.models import User
from ifixit.crm.models import Communication
from ifixit.crm.services.follow_ups import follow_ups_from_rules
from ifixit.crm.services.surveys import survey_schedule
from ifixit.inventory.models import Sale


def after_sale(*, sale: Sale) -> None:
    """What a sale means to customer care: the customer is now the location's, the
    location's automatic follow-ups are made, the survey is scheduled. On inventory's
    sale_recorded (crm.sales), inside the sale's transaction."""
    if sale.customer_id is None:
        return
    sale.customer.locations.add(sale.location)
    follow_ups_from_rules(sales=[sale])
    survey_schedule(sale=sale)


def sale_unwound(*, sale: Sale, user: User, note: str) -> None:
    """A sale is being undone (its finance fell through): the reminders and survey it
    made go with it, follow-ups people wrote by hand stay (about the car, not the sale),
    and the customer's log says what happened. On inventory's sale_unwinding (crm.sales),
    inside its transaction, before the sale row is deleted."""
    sale.follow_ups.filter(rule__isnull=True).update(sale=None)
    if sale.customer_id is None:
        return
    Communication.objects.create(
        customer_id=sale.customer_id,
        location=sale.location,
        car=sale.car,
        channel=Communication.Channel.NOTE,
        direction=Communication.Direction.INTERNAL,
        purpose=Communication.Purpose.SERVICE,
        subject=f"Sale undone: {sale.car}",
        body=note,
        user=user,
        status=Communication.Status.LOGGED,
    )
