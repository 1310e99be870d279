from django.urls import path

from ifixit.auctions import api

urlpatterns = [
    path("sources/", api.SourceListApi.as_view(), name="api_auction_sources"),
    path("lots/", api.LotListApi.as_view(), name="api_auction_lots"),
    path("lots/<int:lot_id>/", api.LotDetailApi.as_view(), name="api_auction_lot"),
    path("lots/<int:lot_id>/ticks/", api.LotTicksApi.as_view(), name="api_auction_lot_ticks"),
]
