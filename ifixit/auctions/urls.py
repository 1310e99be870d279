from django.urls import include, path

from ifixit.auctions import views

urlpatterns = [
    path("", views.lot_board, name="lot_board"),
    path("lots/<int:pk>/", views.lot_detail, name="lot_detail"),
    path("sources/<int:source_id>/webhook/", views.webhook, name="auction_webhook"),
    path("", include("ifixit.auctions.preference_urls")),
]
