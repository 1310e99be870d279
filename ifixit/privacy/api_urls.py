from django.urls import path

from ifixit.privacy import api

urlpatterns = [
    path("customers/<int:customer_id>/export/", api.CustomerExportApi.as_view(), name="api_customer_export"),
    path("customers/<int:customer_id>/erase/", api.CustomerEraseApi.as_view(), name="api_customer_erase"),
]
