"""Location pages, included at /locations/. (Inventory owns
/locations/<id>/repair-settings/, the repair-time thresholds form.)"""

from django.urls import path

from ifixit.inventory.sites import views

urlpatterns = [
    path("", views.location_list, name="location_list"),
    path("new/", views.location_create, name="location_create"),
    path("<int:location_id>/", views.location_detail, name="location_detail"),
    path("<int:location_id>/edit/", views.location_edit, name="location_edit"),
    path("<int:location_id>/deactivate/", views.location_deactivate, name="location_deactivate"),
    path("<int:location_id>/reactivate/", views.location_reactivate, name="location_reactivate"),
    path("<int:location_id>/delete/", views.location_delete, name="location_delete"),
]
