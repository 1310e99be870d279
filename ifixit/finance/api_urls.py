"""REST API v1 routes of finance, included at /api/v1/."""

from django.urls import path

from ifixit.finance import api

urlpatterns = [
    path("lenders/", api.LenderListApi.as_view(), name="api_lender_list"),
    path("lenders/<int:lender_id>/", api.LenderDetailApi.as_view(), name="api_lender_detail"),
    path("finance/applications/", api.ApplicationListApi.as_view(), name="api_finance_application_list"),
    path(
        "finance/applications/<int:application_id>/",
        api.ApplicationDetailApi.as_view(),
        name="api_finance_application_detail",
    ),
    path(
        "finance/applications/<int:application_id>/move/",
        api.ApplicationMoveApi.as_view(),
        name="api_finance_application_move",
    ),
    path("finance/quote/", api.QuoteApi.as_view(), name="api_finance_quote"),
    path("finance/figures/", api.FiguresApi.as_view(), name="api_finance_figures"),
]
