"""Where the apps built on customers add to crm without crm importing them (imports point
down: docs/architecture.md). An app registers in its AppConfig.ready():

- a panel on the customer page (finance: the customer's applications);
- a receiver of `customers_merged`, sent inside the merge's transaction, to move its own rows
  from the merged record to the survivor: they move with the merge or not at all.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.dispatch import Signal

# survivor=Customer, merged=Customer; inside crm.services.customer_merge's transaction (a
# receiver that fails undoes the merge).
customers_merged = Signal()


@dataclass(frozen=True)
class CustomerPanel:
    template: str
    # (user=, customer=) -> the panel's context, or None to leave it out for this customer.
    context: Callable[..., dict | None]


_customer_panels: dict[str, CustomerPanel] = {}


def add_customer_panel(panel: CustomerPanel) -> None:
    _customer_panels[panel.template] = panel  # by template, so a second ready() adds nothing


def customer_panels(*, user, customer) -> list[dict]:
    """The panels to show on this customer's page, each a template and its context."""
    panels = []
    for panel in _customer_panels.values():
        context = panel.context(user=user, customer=customer)
        if context is not None:
            panels.append({"template": panel.template, **context})
    return panels
