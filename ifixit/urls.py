from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ifixit import api, security
from ifixit.accounts import views as account_views

urlpatterns = [
    # Pages without our <link rel=icon> (Django's admin, the API docs) make browsers ask here.
    path("favicon.ico", security.favicon),
    path("", include("ifixit.inventory.urls")),
    path("", include("ifixit.crm.urls")),
    path("", include("ifixit.privacy.urls")),
    path("finance/", include("ifixit.finance.urls")),
    path("reports/", include("ifixit.reports.urls")),
    path("analytics/", include("ifixit.analytics.urls")),
    path("login/", account_views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/verify/", account_views.two_factor_verify, name="two_factor_verify"),
    path("account/", account_views.account, name="account"),
    path("account/password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("account/sessions/<str:session_key>/sign-out/", account_views.session_sign_out, name="session_sign_out"),
    path("account/sessions/sign-out-everywhere/", account_views.sessions_sign_out_everywhere, name="sessions_sign_out_everywhere"),
    path("account/two-factor/", account_views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/recovery-codes/", account_views.two_factor_recovery_codes, name="two_factor_recovery_codes"),
    path("account/two-factor/off/", account_views.two_factor_disable, name="two_factor_disable"),
    path("account/tokens/<int:token_id>/revoke/", account_views.token_revoke, name="token_revoke"),
    path("notifications/", include("ifixit.notifications.urls")),
    path("locations/", include("ifixit.inventory.sites.urls")),
    path("auctions/", include("ifixit.auctions.urls")),
    path("ops/", include("ifixit.dashboard.urls")),
    # One sign-in for everyone, with its protection (accounts.signin): the admin's own login page
    # would be a second door for password guessing.
    path("csp-report/", security.csp_report, name="csp_report"),
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("ifixit.inventory.api_urls")),
    path("api/v1/", include("ifixit.notifications.api_urls")),
    path("api/v1/", include("ifixit.inventory.sites.api_urls")),
    path("api/v1/auctions/", include("ifixit.auctions.api_urls")),
    path("api/v1/", include("ifixit.crm.api_urls")),
    path("api/v1/", include("ifixit.privacy.api_urls")),
    path("api/v1/", include("ifixit.finance.api_urls")),
    path("api/v1/", include("ifixit.reports.api_urls")),
    path("api/v1/", include("ifixit.analytics.api_urls")),
    path("api/v1/auctions/", include("ifixit.auctions.preference_api_urls")),
    path("api/v1/ops/", include("ifixit.dashboard.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Last: any other address under /api/ is the API's JSON 404, not a page.
    re_path(r"^api/", api.not_found),
]
