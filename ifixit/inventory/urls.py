from django.urls import path

from ifixit.inventory import views
from ifixit.inventory.photos import views as photo_views

urlpatterns = [
    path("", views.home, name="home"),
    path("cars/", views.car_list, name="car_list"),
    path("cars/new/", views.car_create, name="car_create"),
    path("cars/<int:pk>/", views.car_detail, name="car_detail"),
    path("cars/<int:pk>/edit/", views.car_edit, name="car_edit"),
    path("cars/<int:pk>/phase/", views.car_phase, name="car_phase"),
    path("cars/<int:pk>/repairs/", views.repair_add, name="repair_add"),
    path("cars/<int:pk>/repairs/<int:item_id>/delete/", views.repair_delete, name="repair_delete"),
    path("cars/<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("cars/<int:pk>/photos/<int:photo_id>/", photo_views.car_photo, name="car_photo"),
    path("cars/<int:pk>/photos/<int:photo_id>/<slug:action>/", photo_views.photo_arrange, name="photo_arrange"),
    path("photos/originals/<str:token>/", photo_views.photo_original_file, name="photo_original_file"),
    path("photos/variants/<path:name>", photo_views.photo_variant_file, name="photo_variant_file"),
    path("photos/backfill/", photo_views.photos_backfill, name="photos_backfill"),
    path("cars/<int:pk>/sale/", views.sale_record, name="sale_record"),
    path("cars/<int:pk>/sale/deliver/", views.sale_deliver, name="sale_deliver"),
    path("cars/<int:pk>/sale/switch-to-cash/", views.sale_switch_to_cash, name="sale_switch_to_cash"),
    path("cars/<int:pk>/transfer/", views.transfer_request, name="transfer_request"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/movement-note.pdf", views.transfer_note_pdf, name="transfer_note"),
    path("transfers/<int:pk>/<slug:action>/", views.transfer_action, name="transfer_action"),
    path("repair-board/", views.repair_board, name="repair_board"),
    path("locations/<int:location_id>/repair-settings/", views.repair_settings, name="repair_settings"),
]
