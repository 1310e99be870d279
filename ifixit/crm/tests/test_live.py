"""Over the network: the SMS provider stand-in texts STOP to the real web process
(uvicorn), signed as Twilio signs it, and the customer's SMS consent is withdrawn."""

import pytest

from ifixit.crm.models import Customer
from ifixit.testing.factories import CustomerFactory
from ifixit.testing.processes import process_env, start_web, wait_for
from ifixit.testing.stand_ins import sms_provider  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC = "https://dealer.example.test"


@pytest.fixture
def web(tmp_path, sms_provider):
    env = process_env(
        SITE_URL=PUBLIC,
        SMS_BACKEND="twilio",
        SMS_PROVIDER_URL=sms_provider.url,
        SMS_ACCOUNT_SID=sms_provider.account_sid,
        SMS_API_KEY=sms_provider.api_key,
    )
    proc = start_web("sms-web", tmp_path, env)
    yield proc
    proc.kill()


def test_a_stop_texted_to_the_provider_withdraws_consent(web, sms_provider, north):
    customer = CustomerFactory(locations=[north], phone="+447911123456", sms_marketing=True)
    path = "/webhooks/sms/inbound/"
    status = sms_provider.deliver_inbound(public_url=PUBLIC + path, send_to=web.url + path, sender="+447911123456", body="STOP")
    assert status == 200
    wait_for(lambda: not Customer.objects.get(pk=customer.pk).sms_marketing, 10, "consent to be withdrawn")
    assert customer.communications.get().subject == "Withdrew SMS consent"


def test_a_forged_stop_is_refused_over_the_network(web, sms_provider, north):
    customer = CustomerFactory(locations=[north], phone="+447911123456", sms_marketing=True)
    sms_provider.api_key = "someone-elses-token"
    path = "/webhooks/sms/inbound/"
    status = sms_provider.deliver_inbound(public_url=PUBLIC + path, send_to=web.url + path, sender="+447911123456", body="STOP")
    assert status == 403
    assert Customer.objects.get(pk=customer.pk).sms_marketing is True
