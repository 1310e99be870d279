"""What a car in stock is worth and what to do with it: the advice the car page shows.

The valuation is the analytics app's, which builds on inventory, so inventory does not
import it: analytics hands its function in when it starts (AnalyticsConfig.ready). Until it
has, the car page shows no advice, as for a car the model cannot value.
"""

from collections.abc import Callable

_car_advice: Callable | None = None


def provide(car_advice: Callable) -> None:
    """car_advice(user=, car=, placement=) -> advice or None."""
    global _car_advice
    _car_advice = car_advice


def car_advice(*, user, car, placement):
    return _car_advice(user=user, car=car, placement=placement) if _car_advice else None
