"""SMS providers behind one small interface: send(to, body) -> the provider's message id.

`console` (the default) needs no account: each message goes to the log and to a file
under var/, so a single dealer can see what would have been sent. `twilio` speaks
Twilio's Messages REST API; the tests run it against a local HTTP server that speaks
the same protocol.
"""

import logging
import uuid

import httpx
from django.conf import settings
from django.utils import timezone

from ifixit.notifications.errors import DeliveryError

log = logging.getLogger(__name__)


class ConsoleSmsBackend:
    def send(self, *, to: str, body: str) -> str:
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        log.info("SMS to %s: %s", to, body)
        path = settings.SMS_CONSOLE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as outbox:
            outbox.write(f"{timezone.now().isoformat()}\t{message_id}\t{to}\t{body}\n")
        return message_id


class TwilioSmsBackend:
    """POST /2010-04-01/Accounts/{sid}/Messages.json, HTTP basic auth (sid, key)."""

    def send(self, *, to: str, body: str) -> str:
        url = f"{settings.SMS_PROVIDER_URL.rstrip('/')}/2010-04-01/Accounts/{settings.SMS_ACCOUNT_SID}/Messages.json"
        try:
            response = httpx.post(
                url,
                data={"To": to, "From": settings.SMS_FROM, "Body": body},
                auth=(settings.SMS_ACCOUNT_SID, settings.SMS_API_KEY),
                timeout=settings.SMS_TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"SMS provider unreachable: {exc.__class__.__name__}: {exc}", transient=True) from exc
        if response.status_code in (200, 201):
            return str(response.json().get("sid", ""))
        detail = _error_detail(response)
        # 429 and 5xx pass; anything else (bad number, unverified sender) will not.
        transient = response.status_code == 429 or response.status_code >= 500
        raise DeliveryError(f"SMS provider answered {response.status_code}: {detail}", transient=transient)


def _error_detail(response: httpx.Response) -> str:
    try:
        data = response.json()
        return f"{data.get('message', '')} (code {data.get('code', '?')})".strip()
    except ValueError:
        return response.text[:200]


BACKENDS = {"console": ConsoleSmsBackend, "twilio": TwilioSmsBackend}


def get_backend():
    return BACKENDS[settings.SMS_BACKEND]()
