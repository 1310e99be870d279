"""REST API v1 routes of inventory, included at /api/v1/."""

from django.urls import path

from ifixit.inventory import api
from ifixit.inventory.api import photos as photo_api

urlpatterns = [
    path("locations/", api.LocationListApi.as_view(), name="api_location_list"),
    path("cars/", api.CarListApi.as_view(), name="api_car_list"),
    path("cars/<int:car_id>/", api.CarDetailApi.as_view(), name="api_car_detail"),
    path("cars/<int:car_id>/phase/", api.CarPhaseApi.as_view(), name="api_car_phase"),
    path("cars/<int:car_id>/history/", api.CarHistoryApi.as_view(), name="api_car_history"),
    path("cars/<int:car_id>/repairs/", api.CarRepairListApi.as_view(), name="api_car_repairs"),
    path("cars/<int:car_id>/repairs/<int:item_id>/", api.CarRepairDetailApi.as_view(), name="api_car_repair_detail"),
    path("cars/<int:car_id>/photos/", photo_api.CarPhotoCreateApi.as_view(), name="api_car_photos"),
    path("cars/<int:car_id>/photos/order/", photo_api.CarPhotoOrderApi.as_view(), name="api_car_photo_order"),
    path(
        "cars/<int:car_id>/photos/<int:photo_id>/", photo_api.CarPhotoDetailApi.as_view(), name="api_car_photo_detail"
    ),
    path("cars/<int:car_id>/sale/", api.CarSaleApi.as_view(), name="api_car_sale"),
    path("cars/<int:car_id>/sale/deliver/", api.CarSaleDeliverApi.as_view(), name="api_car_sale_deliver"),
    path(
        "cars/<int:car_id>/sale/switch-to-cash/",
        api.CarSaleSwitchToCashApi.as_view(),
        name="api_car_sale_switch_to_cash",
    ),
    path("repair-board/", api.RepairBoardApi.as_view(), name="api_repair_board"),
    path("transfers/", api.TransferListApi.as_view(), name="api_transfer_list"),
    path("transfers/<int:transfer_id>/", api.TransferDetailApi.as_view(), name="api_transfer_detail"),
    path("transfers/<int:transfer_id>/<slug:action>/", api.TransferActionApi.as_view(), name="api_transfer_action"),
]
