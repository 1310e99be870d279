"""What a browser, a phone or a proxy may keep of an answer (Cache-Control and Vary).

- The API (`/api/...`): `private, no-cache` and `Vary: Authorization, Cookie`. A client may keep
  its own copy but must ask again each time; Django's ConditionalGetMiddleware (above this one)
  gives every GET an ETag over the body and answers a matching If-None-Match with 304 and no
  body, which saves the bytes on a phone. No shared cache may store one user's list.
- Every other answer of a view (pages, fragments, downloads): `no-store, private`, so that a
  shared workshop computer keeps no customer's page on disk and no proxy keeps any of them.
  Django's ConditionalGetMiddleware makes no ETag for a no-store answer (a page's CSRF token
  and CSP nonce change with every request anyway).

A view that says for itself what may be kept (`Cache-Control` already set: hashed photo variants,
the login page's never_cache) is left as it is. Static files never get here: WhiteNoise answers
them above, hashed names with a year's `max-age` and `immutable`.
"""

from django.utils.cache import patch_cache_control, patch_vary_headers

API_PREFIX = "/api/"


class CacheControlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX):
            patch_vary_headers(response, ("Authorization", "Cookie"))
            if not response.has_header("Cache-Control"):
                patch_cache_control(response, private=True, no_cache=True)
        elif not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response
