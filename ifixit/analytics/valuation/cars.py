"""What the value model does when inventory buys a car (inventory.events.car_bought, connected in
AnalyticsConfig.ready)."""

from ifixit.analytics.valuation.tasks import record_valuation
from ifixit.jobs import outbox


def value_when_bought(sender, *, car, **kwargs) -> None:
    """What the value model expects a car to sell for, kept from the day it was bought, is what
    the model's self-audit sets against the real sale. Queued once the purchase has committed."""
    outbox.enqueue(record_valuation, [car.pk], about=car)
