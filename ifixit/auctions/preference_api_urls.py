"""API of bidding preferences, lot alerts, watches and alert channels (under /api/v1/auctions/)."""

from django.urls import path

from ifixit.auctions import preference_api as api

urlpatterns = [
    path("preferences/", api.PreferenceListApi.as_view(), name="api_bidding_preferences"),
    path("preferences/<int:preference_id>/", api.PreferenceDetailApi.as_view(), name="api_bidding_preference"),
    path("alerts/", api.AlertListApi.as_view(), name="api_lot_alerts"),
    path("alert-channels/", api.AlertChannelsApi.as_view(), name="api_lot_alert_channels"),
    path("watches/", api.WatchListApi.as_view(), name="api_lot_watches"),
    path("lots/<int:lot_id>/watch/", api.LotWatchApi.as_view(), name="api_lot_watch"),
]
