"""What finance adds to inventory's car page (registered in FinanceConfig.ready,
inventory.extensions): the car's applications, and whether its sale waits for its lender."""

from ifixit.finance.selectors import applications_for_car, car_funded, funded_among
from ifixit.finance.services import FINANCEABLE_PHASES
from ifixit.inventory.extensions import CarPanelView
from ifixit.inventory.models import Payment


def panel(*, user, car, sale) -> CarPanelView:
    """The finance card of a car's page, for those who handle finance; for everyone, whether the
    car's sale on finance waits to be funded before it is handed over."""
    undelivered = sale is not None and sale.delivered_at is None
    may_finance = user.has_perm("finance.view_financeapplication")
    applications = list(applications_for_car(user=user, car_id=car.pk)) if may_finance else []
    financeable = car.phase in FINANCEABLE_PHASES and (
        sale is None or (sale.payment == Payment.FINANCE and undelivered)
    )
    # Those who see the applications have just read them; the others ask, once there is a sale.
    funded = funded_among(applications) if may_finance else bool(sale and car_funded(car_id=car.pk))
    on_finance = undelivered and sale.payment == Payment.FINANCE
    context = None
    if may_finance and (applications or financeable):
        context = {
            "applications": applications,
            "can_apply": financeable and user.has_perm("finance.add_financeapplication"),
        }
    return CarPanelView(context=context, holds_delivery=on_finance and not funded)
