"""Where the apps built on a car add to inventory's pages and sales without inventory importing
them (imports point down: docs/architecture.md). An app registers in its AppConfig.ready():

- a panel on the car's page, after the sale card (finance: the car's applications), which may
  also hold the sale's delivery (finance: a sale on finance waits until it is funded);
- the customers a sale may be made to (crm: the customers of the user's locations).

What inventory's writes announce (a sale recorded, undone, ...) is in inventory.events.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CarPanelView:
    # The panel's context; None leaves the panel out for this car.
    context: dict | None = None
    # The car's sale waits for its money before it is handed over (finance: the lender has not
    # paid yet): the sale card offers switching to cash instead of delivery (services.sale_next_steps).
    holds_delivery: bool = False


@dataclass(frozen=True)
class CarPanel:
    template: str
    # (user=, car=, sale=) -> CarPanelView; sale is the car's Sale or None.
    view: Callable[..., CarPanelView]


_car_panels: dict[str, CarPanel] = {}


def add_car_panel(panel: CarPanel) -> None:
    _car_panels[panel.template] = panel  # by template, so a second ready() adds nothing


@dataclass(frozen=True)
class CarPanels:
    panels: list[dict]  # each a template and its context
    holds_delivery: bool


def car_panels(*, user, car, sale) -> CarPanels:
    """The panels to show on this car's page, and whether one of them holds its delivery."""
    panels, held = [], False
    for panel in _car_panels.values():
        view = panel.view(user=user, car=car, sale=sale)
        held = held or view.holds_delivery
        if view.context is not None:
            panels.append({"template": panel.template, **view.context})
    return CarPanels(panels=panels, holds_delivery=held)


# (user=, customer_id=) -> the customer if the user may sell to them, else None.
_customer_for_sale: Callable | None = None


def provide_customer_for_sale(customer_for_sale: Callable) -> None:
    global _customer_for_sale
    _customer_for_sale = customer_for_sale


def customer_for_sale(*, user, customer_id: int):
    """The customer a sale may be recorded to, or None: one the user may not see, or no such
    customer (and none at all until crm has said which)."""
    return _customer_for_sale(user=user, customer_id=customer_id) if _customer_for_sale else None
