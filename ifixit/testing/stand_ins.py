"""Stand-ins for what lies outside this machine, speaking the real protocols on
loopback: an SMTP server (aiosmtpd) and an SMS provider's REST API (Twilio's
Messages endpoint). Tests read what arrived, or tell them to fail."""

import base64
import email
import json
import threading
import uuid
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller

from ifixit.testing.processes import free_port


@dataclass
class SmtpServer:
    """A real SMTP server. `fail_next` queues replies such as "451 4.3.0 Try later"
    (the next DATA commands get them instead of 250)."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Message] = field(default_factory=list)
    fail_next: list[str] = field(default_factory=list)
    refuse_recipients: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_recipients:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_next:
            return self.fail_next.pop(0)
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"

    def bodies(self) -> list[str]:
        return [m.get_payload(decode=True).decode() for m in self.messages]


@pytest.fixture
def smtp_server(settings):
    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    controller.stop()


@dataclass
class SmsProvider:
    """Twilio's Messages API on loopback: POST /2010-04-01/Accounts/{sid}/Messages.json
    with HTTP basic auth (sid, key) and a form body (To, From, Body)."""

    account_sid: str = "AC" + "0" * 32
    api_key: str = "test-key-not-a-secret"
    messages: list[dict] = field(default_factory=list)
    # Queued (status, json body) answers for the next requests, e.g. (503, {...}).
    fail_next: list[tuple[int, dict]] = field(default_factory=list)
    url: str = ""

    def handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                expected = "Basic " + base64.b64encode(f"{provider.account_sid}:{provider.api_key}".encode()).decode()
                if self.path != f"/2010-04-01/Accounts/{provider.account_sid}/Messages.json":
                    return self._answer(404, {"code": 20404, "message": "The requested resource was not found"})
                if self.headers.get("Authorization") != expected:
                    return self._answer(401, {"code": 20003, "message": "Authenticate"})
                if provider.fail_next:
                    return self._answer(*provider.fail_next.pop(0))
                if not form.get("To", "").startswith("+"):
                    return self._answer(400, {"code": 21211, "message": f"The 'To' number {form.get('To')} is not a valid phone number."})
                sid = "SM" + uuid.uuid4().hex
                provider.messages.append({**form, "sid": sid})
                return self._answer(201, {"sid": sid, "status": "queued", "to": form["To"], "body": form.get("Body")})

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def deliver_inbound(self, *, public_url: str, send_to: str, sender: str, body: str) -> int:
        """What the provider does when a customer texts the number: POST the message to
        the configured webhook, signed as Twilio signs it (HMAC-SHA1 of the public URL and
        the sorted parameters, keyed with the auth token). `send_to` is where that public
        URL reaches the app (through a proxy, in production). Returns the HTTP status."""
        import httpx

        from ifixit.crm.webhooks import twilio_signature

        params = {
            "AccountSid": self.account_sid,
            "MessageSid": "SM" + uuid.uuid4().hex,
            "From": sender,
            "To": "+447700900123",
            "Body": body,
            "NumMedia": "0",
        }
        signature = twilio_signature(auth_token=self.api_key, url=public_url, params=params)
        response = httpx.post(send_to, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
        return response.status_code


@pytest.fixture
def sms_provider(settings):
    provider = SmsProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), provider.handler())
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "twilio"
    settings.SMS_PROVIDER_URL = provider.url
    settings.SMS_ACCOUNT_SID = provider.account_sid
    settings.SMS_API_KEY = provider.api_key
    settings.SMS_FROM = "IFIXIT"
    yield provider
    server.shutdown()
    server.server_close()
