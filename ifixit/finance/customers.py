"""What finance adds to crm's customers (registered in FinanceConfig.ready, crm.extensions)."""

from ifixit.finance.models import FinanceApplication
from ifixit.finance.selectors import applications_for_customer


def panel(*, user, customer) -> dict | None:
    """The customer's applications the user may see, on the customer's page; none: no panel."""
    applications = list(applications_for_customer(user=user, customer_id=customer.pk))
    return {"applications": applications} if applications else None


def follow_merge(sender, *, survivor, merged, **kwargs) -> None:
    """The merged record's applications are the survivor's now, in the merge's transaction."""
    FinanceApplication.objects.filter(customer=merged).update(customer=survivor)
