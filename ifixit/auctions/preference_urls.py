"""Pages of bidding preferences, lot alerts and watches (under /auctions/)."""

from django.urls import path

from ifixit.auctions import preference_views as views

urlpatterns = [
    path("preferences/", views.preference_list, name="bidding_preferences"),
    path("preferences/new/", views.preference_edit, name="bidding_preference_new"),
    path("preferences/channels/", views.alert_channels, name="lot_alert_channels"),
    path("preferences/<int:pk>/", views.preference_edit, name="bidding_preference_edit"),
    path("preferences/<int:pk>/active/", views.preference_active, name="bidding_preference_active"),
    path("preferences/<int:pk>/delete/", views.preference_delete, name="bidding_preference_delete"),
    path("alerts/", views.alert_list, name="lot_alerts"),
    path("lots/<int:pk>/watch/", views.lot_watch, name="lot_watch"),
]
