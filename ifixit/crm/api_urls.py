"""REST API v1 routes of customer care, included at /api/v1/."""

from django.urls import path

from ifixit.crm import api

urlpatterns = [
    path("customers/", api.CustomerListApi.as_view(), name="api_customer_list"),
    path("customers/<int:customer_id>/", api.CustomerDetailApi.as_view(), name="api_customer_detail"),
    path("customers/<int:customer_id>/timeline/", api.CustomerTimelineApi.as_view(), name="api_customer_timeline"),
    path("customers/<int:customer_id>/history/", api.CustomerHistoryApi.as_view(), name="api_customer_history"),
    path(
        "customers/<int:customer_id>/communications/",
        api.CustomerCommunicationListApi.as_view(),
        name="api_customer_communications",
    ),
    path("follow-ups/", api.FollowUpListApi.as_view(), name="api_follow_up_list"),
    path("follow-ups/<int:follow_up_id>/complete/", api.FollowUpCompleteApi.as_view(), name="api_follow_up_complete"),
    path("follow-ups/<int:follow_up_id>/snooze/", api.FollowUpSnoozeApi.as_view(), name="api_follow_up_snooze"),
    path("follow-ups/<int:follow_up_id>/cancel/", api.FollowUpCancelApi.as_view(), name="api_follow_up_cancel"),
    path("satisfaction/", api.SatisfactionApi.as_view(), name="api_satisfaction"),
]
