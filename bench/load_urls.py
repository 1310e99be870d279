"""The load bench's URLs: the whole site (ifixit.urls) plus, under /bench/bare/, a bare Django
view for each API list the bench measures.

A bare view is the floor an endpoint is compared with: a plain function view (no DRF: no
authentication classes, throttles, serializers or renderer) answering the same request with the
same rows, the first page of 50 from the same selector (so the same location scoping, filters
and order) and its count, as JSON from `.values()`. It is signed in by the session (Django's
middleware), and refuses what the endpoint refuses (signed out, a missing permission), so both
answer the same question for the same user.
"""

from django.http import JsonResponse
from django.urls import include, path

from ifixit.auctions import selectors as auction_selectors
from ifixit.auctions.selectors import LotFilters
from ifixit.crm import selectors as crm_selectors
from ifixit.crm.selectors import CustomerFilters
from ifixit.inventory import selectors as inventory_selectors
from ifixit.inventory.selectors import CarFilters

PAGE = 50  # ifixit.api.Pagination.page_size

CAR_FIELDS = (
    "id", "vin", "registration", "make", "model", "trim", "year", "mileage", "fuel", "transmission", "body_type",
    "colour", "location_id", "location__name", "phase", "phase_changed_at", "purchased_on", "purchase_price",
    "auction_fees", "transport_cost", "repair_total", "total_cost", "asking_price", "purchase_funding",
)  # fmt: skip
LOT_FIELDS = (
    "id", "source_id", "external_id", "lane", "stage", "make", "model", "trim", "year", "mileage", "mileage_unit",
    "damage", "condition", "region", "starts_at", "ends_at", "current_bid", "bid_count", "buy_now", "has_reserve",
    "reserve_met", "outcome",
)  # fmt: skip
CUSTOMER_FIELDS = (
    "id",
    "kind",
    "name",
    "contact_name",
    "email",
    "phone",
    "town",
    "postcode",
    "email_marketing",
    "sms_marketing",
    "purchase_count",
    "last_contact_at",
)  # fmt: skip  (the endpoint adds each customer's tags and locations, two prefetch queries: not here)


def _first_page(request, rows, fields, permission: str = ""):
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    if permission and not request.user.has_perm(permission):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return JsonResponse({"count": rows.count(), "results": list(rows.values(*fields)[:PAGE])})


def bare_cars(request):
    cars = inventory_selectors.car_list(user=request.user, filters=CarFilters())
    return _first_page(request, cars, CAR_FIELDS)


def bare_lots(request):
    return _first_page(request, auction_selectors.lot_board(filters=LotFilters()), LOT_FIELDS, "auctions.view_lot")


def bare_customers(request):
    customers = crm_selectors.customer_list(user=request.user, filters=CustomerFilters())
    return _first_page(request, customers, CUSTOMER_FIELDS, "crm.view_customer")


urlpatterns = [
    path("bench/bare/cars/", bare_cars, name="bench_bare_cars"),
    path("bench/bare/lots/", bare_lots, name="bench_bare_lots"),
    path("bench/bare/customers/", bare_customers, name="bench_bare_customers"),
    path("", include("ifixit.urls")),
]
