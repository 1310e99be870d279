"""Response headers that limit what a page may do, where browsers report a breach, and the icon.

The Content-Security-Policy itself is django-csp's (settings: CONTENT_SECURITY_POLICY):
scripts only from our own origin or with the response's nonce, never inline handlers; no
framing; violations reported to /csp-report/, logged here.
"""

import json
import logging

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

log = logging.getLogger("ifixit.csp")

# Features no I-fixit page uses: a script that got in still cannot reach them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
        "microphone", "midi", "payment", "usb", "xr-spatial-tracking",
    )
)
MAX_REPORT_BYTES = 16 * 1024


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def favicon(request):
    """Pages without our <link rel=icon> (Django's admin, the API docs) make browsers ask for
    /favicon.ico. Resolved per request: the hashed static name exists only after collectstatic."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


@csrf_exempt  # browsers send reports without a token; nothing is changed by one
@require_POST
def csp_report(request):
    """A browser's report of a blocked script, style or frame: logged for the operator."""
    if int(request.headers.get("Content-Length") or 0) > MAX_REPORT_BYTES:
        return HttpResponse("A CSP report is a few hundred bytes; this is too large.", status=413,
                            content_type="text/plain")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return HttpResponseBadRequest("Not a CSP report: send the browser's JSON report.", content_type="text/plain")
    reports = body if isinstance(body, list) else [body]
    found = False
    for report in reports:
        if not isinstance(report, dict):
            continue
        details = report.get("csp-report") or report.get("body")
        if isinstance(details, dict):
            found = True
            log.warning(
                "CSP violation: %s blocked %s on %s",
                details.get("violated-directive") or details.get("effectiveDirective"),
                details.get("blocked-uri") or details.get("blockedURL"),
                details.get("document-uri") or details.get("documentURL"),
            )
    if not found:
        return HttpResponseBadRequest("Not a CSP report: send the browser's JSON report.", content_type="text/plain")
    return HttpResponse(status=204)
