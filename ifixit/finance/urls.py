from django.urls import path

from ifixit.finance import views

urlpatterns = [
    path("", views.finance_board, name="finance_board"),
    path("applications/new/", views.application_create, name="finance_application_create"),
    path("applications/quote/", views.application_quote, name="finance_quote"),
    path("applications/<int:pk>/", views.application_detail, name="finance_application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="finance_application_edit"),
    path("applications/<int:pk>/move/", views.application_move, name="finance_application_move"),
    path("figures/", views.finance_figures, name="finance_figures"),
    path("lenders/", views.lender_list, name="lender_list"),
    path("lenders/new/", views.lender_create, name="lender_create"),
    path("lenders/<int:pk>/", views.lender_edit, name="lender_edit"),
]
