"""DRF authentication by `Authorization: Bearer <key>` against hashed API tokens; an address
sending API_TOKEN_FAILURE_LIMIT wrong tokens is refused (429) for API_TOKEN_FAILURE_MINUTES."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from ifixit.accounts.models import ApiToken


def is_token_request(request) -> bool:
    """An API call with a bearer token: the token alone says who it is, so the middleware
    leaves the session's user (and their second-factor device) unread: a script or the
    bench that also holds a session cookie costs no session, user or device query."""
    return request.path.startswith("/api/") and request.headers.get("Authorization", "").startswith("Bearer ")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        failures_key = f"token-failures:{self._address(request)}"
        failures = caches["throttle"].get(failures_key, 0)
        if failures >= settings.API_TOKEN_FAILURE_LIMIT:
            # Guessing tokens: refused before the guess is even looked up.
            raise exceptions.Throttled(
                wait=settings.API_TOKEN_FAILURE_MINUTES * 60,
                detail=f"Too many requests with a wrong or revoked token from this address: try again in "
                f"{settings.API_TOKEN_FAILURE_MINUTES} minutes, with a valid token from your account page.",
            )
        token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(header[1])).first()
        if token is None or not token.user.is_active:
            self._count_failure(failures_key)
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        # Only touch the row once a minute, so busy scripts do not write on every call.
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    @staticmethod
    def _address(request) -> str:
        from axes.helpers import get_client_ip_address

        return get_client_ip_address(request) or "unknown"  # the sign-in's rule for the client address

    @staticmethod
    def _count_failure(key: str) -> None:
        cache = caches["throttle"]
        # The window starts at the first failure; add is atomic, incr too (Redis).
        if not cache.add(key, 1, timeout=settings.API_TOKEN_FAILURE_MINUTES * 60):
            try:
                cache.incr(key)
            except ValueError:  # expired between the two calls
                cache.add(key, 1, timeout=settings.API_TOKEN_FAILURE_MINUTES * 60)

    def authenticate_header(self, request):
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API token from your account page."}
