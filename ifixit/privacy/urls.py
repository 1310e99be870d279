from django.urls import path

from ifixit.privacy import views

urlpatterns = [
    path("customers/<int:pk>/export.json", views.customer_export_json, name="customer_export_json"),
    path("customers/<int:pk>/export.pdf", views.customer_export_pdf, name="customer_export_pdf"),
    path("customers/<int:pk>/erase/", views.customer_erase, name="customer_erase"),
]
