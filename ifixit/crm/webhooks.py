"""Inbound SMS from customers, as the SMS provider (Twilio's protocol) delivers them.

Twilio signs each webhook: X-Twilio-Signature is base64(HMAC-SHA1(auth token, the full
URL it called + every POST parameter name and value, sorted by name)). A request
without a valid signature is refused before anything is read into the database.
"""

import base64
import hashlib
import hmac
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ifixit.crm import services

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twilio_signature(*, auth_token: str, url: str, params: dict[str, str]) -> str:
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _public_url(request) -> str:
    """The URL the provider called: behind a proxy, SITE_URL names it (the provider
    signs the address it was given, not the one the app server sees)."""
    return f"{settings.SITE_URL}{request.get_full_path()}"


@csrf_exempt
@require_POST
def sms_inbound(request):
    if settings.SMS_BACKEND != "twilio" or not settings.SMS_API_KEY:
        return HttpResponse("Inbound SMS is not configured (SMS_BACKEND=twilio).", status=503, content_type="text/plain")
    params = {name: request.POST.get(name, "") for name in request.POST}
    expected = twilio_signature(auth_token=settings.SMS_API_KEY, url=_public_url(request), params=params)
    given = request.headers.get("X-Twilio-Signature", "").encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        log.warning("inbound SMS webhook with a bad signature refused")
        return HttpResponseForbidden("Bad signature", content_type="text/plain")
    if params.get("AccountSid") and params["AccountSid"] != settings.SMS_ACCOUNT_SID:
        return HttpResponseForbidden("Wrong account", content_type="text/plain")
    services.sms_inbound(from_number=params.get("From", ""), body=params.get("Body", ""), provider_id=params.get("MessageSid", ""))
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
