from django.urls import path

from ifixit.crm import views, webhooks

urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/share/", views.customer_share, name="customer_share"),
    path("customers/pick/", views.customer_pick, name="customer_pick"),
    path("customers/satisfaction/", views.satisfaction, name="satisfaction"),
    path("customers/surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/history/", views.customer_history, name="customer_history"),
    path("customers/<int:pk>/message/", views.customer_message, name="customer_message"),
    path("customers/<int:pk>/log/", views.customer_log, name="customer_log"),
    path("customers/<int:pk>/follow-ups/new/", views.follow_up_create, name="follow_up_create"),
    path("customers/<int:pk>/merge/", views.customer_merge, name="customer_merge"),
    path("follow-ups/", views.follow_up_list, name="follow_up_list"),
    path("follow-ups/<int:pk>/<str:action>/", views.follow_up_action, name="follow_up_action"),
    path("locations/<int:location_id>/customer-care/", views.customer_care_settings, name="customer_care_settings"),
    path("survey/<str:token>/", views.survey_answer, name="survey_answer"),
    path("webhooks/sms/inbound/", webhooks.sms_inbound, name="sms_inbound_webhook"),
]
