"""Customer-care REST API v1: thin adapters over crm.selectors (reads) and crm.services
(writes), the same ones the pages call.

Scoping is the selectors': a customer none of whose locations the user may see answers
404 on every endpoint, before the body is even read. Roles without customer care
(workshop, buyers) are refused with 403 by the permission classes in `access`, as auctions
does. The services' Django ValidationErrors become field-keyed 400s (409 for a stale
follow-up) in `ifixit.api.exception_handler`; a possible duplicate customer is a 409
that lists the matches, shaped in `customers` because only the API knows who may see which.

One module per sub-domain: `customers`, `timeline` (and the record's history),
`communications`, `follow_ups`, `satisfaction`; `access` and `shapes` hold what they share.
The urls and other apps import from here.
"""

from ifixit.crm.api.access import (
    CUSTOMER_CARE,
    ERRORS,
    LOCATION_NOT_FOUND,
    CanViewCustomers,
    CanViewFollowUps,
    CanViewSatisfaction,
    visible_customer,
    visible_location_id,
)
from ifixit.crm.api.communications import CustomerCommunicationListApi
from ifixit.crm.api.customers import CustomerDetailApi, CustomerDetailOutputSerializer, CustomerListApi
from ifixit.crm.api.follow_ups import FollowUpCancelApi, FollowUpCompleteApi, FollowUpListApi, FollowUpSnoozeApi
from ifixit.crm.api.satisfaction import SatisfactionApi
from ifixit.crm.api.shapes import CarBriefOutputSerializer, CommunicationOutputSerializer, PurchaseOutputSerializer
from ifixit.crm.api.timeline import CustomerHistoryApi, CustomerTimelineApi

__all__ = [
    "CUSTOMER_CARE",
    "ERRORS",
    "LOCATION_NOT_FOUND",
    "CanViewCustomers",
    "CanViewFollowUps",
    "CanViewSatisfaction",
    "CarBriefOutputSerializer",
    "CommunicationOutputSerializer",
    "CustomerCommunicationListApi",
    "CustomerDetailApi",
    "CustomerDetailOutputSerializer",
    "CustomerHistoryApi",
    "CustomerListApi",
    "CustomerTimelineApi",
    "FollowUpCancelApi",
    "FollowUpCompleteApi",
    "FollowUpListApi",
    "FollowUpSnoozeApi",
    "PurchaseOutputSerializer",
    "SatisfactionApi",
    "visible_customer",
    "visible_location_id",
]
