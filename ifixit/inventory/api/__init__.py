"""Inventory REST API v1: thin adapters over the selectors (reads) and services (writes).

Each view shapes its input with a nested InputSerializer (or FilterSerializer for query
strings), reads through a selector, so location scoping is the same as on the pages,
and writes through the service that the pages call too. The rules themselves (VIN,
prices, mileage, phase moves, photo checks) live in the models and services; their
Django ValidationErrors become field-keyed 400s (409 where the car's state refuses it) in
`ifixit.api.exception_handler`.

One module per sub-domain: cars, phases, repairs (items and the board), photos, sales,
transfers and locations; what they and the APIs above share is in `shared`. The names
`inventory.api_urls` and the other apps' APIs import are re-exported here.
"""

from ifixit.inventory.api.cars import (
    CarDetailApi,
    CarDetailOutputSerializer,
    CarListApi,
    CarOutputSerializer,
    PhotoOutputSerializer,
    RepairItemOutputSerializer,
    SaleOutputSerializer,
    VinField,
    YearField,
    car_detail_response,
    ensure_visible,
)
from ifixit.inventory.api.locations import LocationListApi
from ifixit.inventory.api.phases import CarHistoryApi, CarPhaseApi
from ifixit.inventory.api.photos import CarPhotoCreateApi
from ifixit.inventory.api.repairs import (
    CarRepairDetailApi,
    CarRepairListApi,
    RepairBoardApi,
    RepairBoardRowOutputSerializer,
)
from ifixit.inventory.api.sales import CarSaleApi, CarSaleDeliverApi, CarSaleSwitchToCashApi
from ifixit.inventory.api.shared import CONFLICT, ERRORS, MONEY, LocationOutputSerializer
from ifixit.inventory.api.transfers import (
    TRANSFER_NOT_FOUND,
    TransferActionApi,
    TransferDetailApi,
    TransferListApi,
    TransferOutputSerializer,
)

__all__ = [
    "CONFLICT",
    "ERRORS",
    "MONEY",
    "TRANSFER_NOT_FOUND",
    "CarDetailApi",
    "CarDetailOutputSerializer",
    "CarHistoryApi",
    "CarListApi",
    "CarOutputSerializer",
    "CarPhaseApi",
    "CarPhotoCreateApi",
    "CarRepairDetailApi",
    "CarRepairListApi",
    "CarSaleApi",
    "CarSaleDeliverApi",
    "CarSaleSwitchToCashApi",
    "LocationListApi",
    "LocationOutputSerializer",
    "PhotoOutputSerializer",
    "RepairBoardApi",
    "RepairBoardRowOutputSerializer",
    "RepairItemOutputSerializer",
    "SaleOutputSerializer",
    "TransferActionApi",
    "TransferDetailApi",
    "TransferListApi",
    "TransferOutputSerializer",
    "VinField",
    "YearField",
    "car_detail_response",
    "ensure_visible",
]
