"""Finance REST API v1: lenders, finance applications and their workflow, quotes and the
finance figures; thin adapters over finance.selectors (reads) and finance.services
(writes), the same ones the pages call.

Scoping is the selectors': an application of a location the user may not see answers
404 on every endpoint, before the body is read. Roles without finance (workshop,
buyers) are refused with 403 by the permission classes below; adding or changing a
lender is the service's call (managers and admins). The services' Django
ValidationErrors become field-keyed 400s in `ifixit.api.exception_handler`.

Workflow states are plain strings in the schema: "status" already names other choice sets
there (transfers, customers); lender kinds are the LenderKindEnum (settings.SPECTACULAR_SETTINGS).

One module per sub-domain: lenders, applications, quotes (an agreement's figures) and the
finance figures; what they share (who may use them, the error bodies) is in `shared`. The names
`finance.api_urls` and the other apps' APIs import are re-exported here.
"""

from ifixit.finance.api.applications import (
    ApplicationCustomerOutputSerializer,
    ApplicationDetailApi,
    ApplicationDetailOutputSerializer,
    ApplicationEventOutputSerializer,
    ApplicationListApi,
    ApplicationMoveApi,
    ApplicationOutputSerializer,
    application_detail_response,
    visible_application,
)
from ifixit.finance.api.figures import (
    FiguresApi,
    FiguresTotalsOutputSerializer,
    LenderFiguresOutputSerializer,
    LocationShareOutputSerializer,
    MonthShareOutputSerializer,
    ShareOutputSerializer,
)
from ifixit.finance.api.lenders import (
    LENDER_NOT_FOUND,
    LenderBriefOutputSerializer,
    LenderDetailApi,
    LenderInputSerializer,
    LenderListApi,
    LenderOutputSerializer,
    OptionalEmailField,
    OptionalUrlField,
)
from ifixit.finance.api.quotes import APR, FiguresInputSerializer, QuoteApi, QuoteTotalField
from ifixit.finance.api.shared import (
    ERRORS,
    FINANCE,
    FINANCE_ROLES,
    CanHandleFinance,
    CanViewLenders,
    currency,
    reject_unknown_fields,
)

__all__ = [
    "APR",
    "ERRORS",
    "FINANCE",
    "FINANCE_ROLES",
    "LENDER_NOT_FOUND",
    "ApplicationCustomerOutputSerializer",
    "ApplicationDetailApi",
    "ApplicationDetailOutputSerializer",
    "ApplicationEventOutputSerializer",
    "ApplicationListApi",
    "ApplicationMoveApi",
    "ApplicationOutputSerializer",
    "CanHandleFinance",
    "CanViewLenders",
    "FiguresApi",
    "FiguresInputSerializer",
    "FiguresTotalsOutputSerializer",
    "LenderBriefOutputSerializer",
    "LenderDetailApi",
    "LenderFiguresOutputSerializer",
    "LenderInputSerializer",
    "LenderListApi",
    "LenderOutputSerializer",
    "LocationShareOutputSerializer",
    "MonthShareOutputSerializer",
    "OptionalEmailField",
    "OptionalUrlField",
    "QuoteApi",
    "QuoteTotalField",
    "ShareOutputSerializer",
    "application_detail_response",
    "currency",
    "reject_unknown_fields",
    "visible_application",
]
