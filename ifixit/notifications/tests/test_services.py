"""The notification centre's services against a real SMTP server and an SMS provider
stand-in on loopback; time is moved with time-machine, never slept."""

import datetime
import threading
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from ifixit.notifications import services, tasks
from ifixit.notifications.errors import DeliveryError
from ifixit.notifications.models import Delivery, Digest, Notification, Preference
from ifixit.testing.factories import UserFactory

LONDON = zoneinfo.ZoneInfo("Europe/London")


def prefer(user, kind="system", **choice):
    defaults = {"in_app": True, "email": False, "sms": False, "timing": "immediate"}
    Preference.objects.update_or_create(user=user, kind=kind, defaults={**defaults, **choice})


def send_all(final_attempt=False):
    for delivery in Delivery.objects.filter(status__in=["queued", "retrying"]):
        services.delivery_send(delivery_id=delivery.pk, final_attempt=final_attempt)


@pytest.fixture
def user(north):
    return UserFactory(username="ned", email="ned@example.com", mobile="+447911123456", locations=[north])


# --- notify ----------------------------------------------------------------------------


def test_notify_follows_the_users_channels(user):
    prefer(user, email=True, sms=True)
    notification = services.notify(recipient=user, kind="system", title="Export ready", link="/cars/")
    assert notification.in_app and notification.read_at is None
    deliveries = {d.channel: d for d in notification.deliveries.all()}
    assert deliveries["email"].address == "ned@example.com" and deliveries["email"].status == "queued"
    assert deliveries["sms"].address == "+447911123456" and deliveries["sms"].status == "queued"


def test_defaults_apply_without_a_preference(user):
    notification = services.notify(recipient=user, kind="repair_overdue", title="Overdue")
    assert [d.channel for d in notification.deliveries.all()] == ["email"]  # the kind's default


def test_in_app_off_keeps_the_record_but_not_the_bell(user):
    prefer(user, in_app=False, email=True)
    notification = services.notify(recipient=user, kind="system", title="Quiet")
    assert notification.in_app is False
    from ifixit.notifications.selectors import unread_count

    assert unread_count(user) == 0


def test_the_same_dedupe_key_tells_a_user_once(user, manager):
    first = services.notify(recipient=user, kind="system", title="Once", dedupe_key="k1")
    again = services.notify(recipient=user, kind="system", title="Once", dedupe_key="k1")
    other_user = services.notify(recipient=manager, kind="system", title="Once", dedupe_key="k1")
    assert first is not None and again is None and other_user is not None
    assert Notification.objects.filter(dedupe_key="k1").count() == 2


def test_an_unknown_kind_is_refused(user):
    with pytest.raises(ValueError, match="unknown notification kind"):
        services.notify(recipient=user, kind="nope", title="x")
    assert not Notification.objects.exists()


def test_a_removed_address_shows_as_a_failed_delivery(user):
    prefer(user, sms=True)
    user.mobile = ""
    user.save()
    notification = services.notify(recipient=user, kind="system", title="No phone")
    delivery = notification.deliveries.get()
    assert delivery.status == "failed" and "no mobile number" in delivery.last_error


@pytest.mark.django_db(transaction=True)
def test_two_workers_notifying_at_once_make_one_notification(north):
    user = UserFactory(username="twin", locations=[north])
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(services.notify(recipient=user, kind="system", title="Race", dedupe_key="race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Notification.objects.filter(recipient=user, dedupe_key="race").count() == 1
    assert sorted(r is None for r in results) == [False, True]


# --- email -------------------------------------------------------------------------------


def test_an_email_arrives_at_the_smtp_server(user, smtp_server, settings):
    settings.SITE_URL = "https://ifixit.example.com"
    prefer(user, email=True)
    services.notify(recipient=user, kind="system", title="Stock export ready", body="1,204 cars.", link="/cars/")
    send_all()
    [message] = smtp_server.messages
    assert message["Subject"] == "Stock export ready"
    assert message["X-Envelope-To"] == "ned@example.com"
    body = smtp_server.bodies()[0]
    assert "1,204 cars." in body and "https://ifixit.example.com/cars/" in body
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery.sent_at and delivery.attempts == 1


def test_a_temporary_smtp_failure_is_recorded_retried_and_then_sent(user, smtp_server):
    prefer(user, email=True)
    notification = services.notify(recipient=user, kind="system", title="Try again")
    smtp_server.fail_next.append("451 4.3.0 Mailbox busy, try later")
    delivery = notification.deliveries.get()
    with pytest.raises(DeliveryError):
        services.delivery_send(delivery_id=delivery.pk, final_attempt=False)
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and "451" in delivery.last_error and "try later" in delivery.last_error
    assert Notification.objects.filter(pk=notification.pk, in_app=True).exists()  # still in-app

    services.delivery_send(delivery_id=delivery.pk, final_attempt=False)
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2 and delivery.last_error == ""
    assert len(smtp_server.messages) == 1


def test_a_refused_address_fails_for_good_without_retrying(user, smtp_server):
    prefer(user, email=True)
    smtp_server.refuse_recipients.add("ned@example.com")
    notification = services.notify(recipient=user, kind="system", title="Nobody home")
    delivery = notification.deliveries.get()
    services.delivery_send(delivery_id=delivery.pk, final_attempt=False)  # no raise: nothing to retry
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "refused" in delivery.last_error


def test_an_unreachable_mail_server_is_transient_until_the_last_attempt(user, settings):
    from ifixit.testing.processes import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", free_port(), False
    prefer(user, email=True)
    delivery = services.notify(recipient=user, kind="system", title="Down").deliveries.get()
    with pytest.raises(DeliveryError) as caught:
        services.delivery_send(delivery_id=delivery.pk, final_attempt=False)
    assert caught.value.transient
    services.delivery_send(delivery_id=delivery.pk, final_attempt=True)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "unreachable" in delivery.last_error and delivery.attempts == 2


def test_a_sent_delivery_is_never_sent_again(user, smtp_server):
    prefer(user, email=True)
    delivery = services.notify(recipient=user, kind="system", title="Once only").deliveries.get()
    services.delivery_send(delivery_id=delivery.pk, final_attempt=False)
    assert services.delivery_send(delivery_id=delivery.pk, final_attempt=False) is None  # a redelivered task
    assert len(smtp_server.messages) == 1


def test_a_claim_left_by_a_dead_worker_is_taken_again_after_a_while(user, smtp_server):
    prefer(user, email=True)
    delivery = services.notify(recipient=user, kind="system", title="Orphan").deliveries.get()
    now = datetime.datetime.now(datetime.UTC)
    Delivery.objects.filter(pk=delivery.pk).update(status="sending", claimed_at=now)  # worker died here
    assert services.delivery_send(delivery_id=delivery.pk, final_attempt=False) is None
    with time_machine.travel(now + services.STALE_CLAIM + datetime.timedelta(seconds=1), tick=False):
        services.delivery_send(delivery_id=delivery.pk, final_attempt=False)
    delivery.refresh_from_db()
    assert delivery.status == "sent" and len(smtp_server.messages) == 1


# --- SMS -----------------------------------------------------------------------------------


def test_an_sms_reaches_the_provider(user, sms_provider, settings):
    settings.SITE_URL = "https://ifixit.example.com"
    prefer(user, sms=True)
    services.notify(recipient=user, kind="system", title="Car 12 overdue", link="/cars/12/")
    send_all()
    [sms] = sms_provider.messages
    assert sms["To"] == "+447911123456" and sms["From"] == "IFIXIT"
    assert sms["Body"] == "Car 12 overdue https://ifixit.example.com/cars/12/"
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery.provider_id == sms["sid"]


def test_a_provider_outage_is_retried_and_a_bad_number_is_not(user, sms_provider):
    prefer(user, sms=True)
    delivery = services.notify(recipient=user, kind="system", title="Outage").deliveries.get()
    sms_provider.fail_next.append((503, {"code": 20503, "message": "Service unavailable"}))
    with pytest.raises(DeliveryError):
        services.delivery_send(delivery_id=delivery.pk, final_attempt=False)
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and "503" in delivery.last_error
    services.delivery_send(delivery_id=delivery.pk, final_attempt=False)
    delivery.refresh_from_db()
    assert delivery.status == "sent"

    sms_provider.fail_next.append((400, {"code": 21211, "message": "The 'To' number is not valid."}))
    other = services.notify(recipient=user, kind="system", title="Bad number").deliveries.get()
    services.delivery_send(delivery_id=other.pk, final_attempt=False)
    other.refresh_from_db()
    assert other.status == "failed" and "21211" in other.last_error


def test_the_console_sms_backend_writes_the_outbox(user, settings, tmp_path):
    settings.SMS_BACKEND = "console"
    settings.SMS_CONSOLE_FILE = tmp_path / "sms-outbox.log"
    prefer(user, sms=True)
    services.notify(recipient=user, kind="system", title="Console SMS")
    send_all()
    assert "+447911123456\tConsole SMS" in settings.SMS_CONSOLE_FILE.read_text()


def test_retry_backoff_is_jittered_and_capped():
    for retries in range(12):
        delays = [tasks.backoff(retries) for _ in range(50)]
        assert all(0 <= d <= min(tasks.BACKOFF_CAP, tasks.BACKOFF_BASE * 2**retries) for d in delays)
        assert len(set(delays)) > 1  # jittered, not a fixed step


# --- preferences ---------------------------------------------------------------------------


def choices(**override):
    base = {"in_app": True, "email": False, "sms": False, "timing": "immediate"}
    return {"system": {**base, **override}}


def test_sms_without_a_mobile_number_is_refused_and_nothing_is_saved(north):
    user = UserFactory(username="nomobile", locations=[north])
    with pytest.raises(ValidationError) as caught:
        services.preferences_save(user=user, choices=choices(sms=True), digest_time=datetime.time(8), mobile="")
    assert "Add a mobile number" in caught.value.message_dict["system-sms"][0]
    assert not Preference.objects.filter(user=user).exists()


def test_a_bad_mobile_number_is_refused_and_nothing_is_saved(user):
    with pytest.raises(ValidationError) as caught:
        services.preferences_save(user=user, choices=choices(email=True), digest_time=datetime.time(8), mobile="12345")
    assert "mobile" in caught.value.message_dict
    user.refresh_from_db()
    assert user.mobile == "+447911123456" and not Preference.objects.filter(user=user).exists()


def test_preferences_are_saved_with_the_number_normalised(user):
    services.preferences_save(user=user, choices=choices(sms=True, timing="digest"), digest_time=datetime.time(18, 15), mobile="07400 123456")
    user.refresh_from_db()
    assert user.mobile == "+447400123456"
    pref = Preference.objects.get(user=user, kind="system")
    assert pref.sms and pref.timing == "digest" and user.digest_setting.send_at == datetime.time(18, 15)


def test_email_without_an_address_is_refused(north):
    user = UserFactory(username="nomail", email="", locations=[north])
    with pytest.raises(ValidationError) as caught:
        services.preferences_save(user=user, choices=choices(email=True), digest_time=datetime.time(8), mobile="")
    assert "system-email" in caught.value.message_dict


# --- digests -------------------------------------------------------------------------------


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def open_and_send(now):
    with time_machine.travel(now, tick=False):
        for digest_id in services.digests_claim_due():
            services.digest_send(digest_id=digest_id, final_attempt=False)


def test_a_digest_user_gets_one_email_a_day_listing_everything_since_the_last(user, smtp_server):
    prefer(user, email=True, timing="digest")
    services.preferences_save(
        user=user, choices={"system": {"in_app": True, "email": True, "sms": False, "timing": "digest"}},
        digest_time=datetime.time(7, 30), mobile=user.mobile,
    )
    for hour, title in [(9, "First"), (13, "Second"), (17, "Third")]:
        with time_machine.travel(at(10, hour), tick=False):
            services.notify(recipient=user, kind="system", title=title)
    assert not Delivery.objects.filter(status="queued").exists()  # nothing goes out immediately

    open_and_send(at(10, 23))  # today's digest time has passed: the first digest goes at once
    assert len(smtp_server.messages) == 1
    open_and_send(at(11, 7, 0))  # before tomorrow's digest time: nothing
    open_and_send(at(11, 7, 35))  # after it, but nothing new: nothing
    assert len(smtp_server.messages) == 1
    body = smtp_server.bodies()[0]
    assert all(title in body for title in ("First", "Second", "Third"))
    assert smtp_server.messages[0]["Subject"] == "I-fixit daily digest: 3 notifications"

    with time_machine.travel(at(11, 12), tick=False):
        services.notify(recipient=user, kind="system", title="Fourth")
    open_and_send(at(11, 20))  # no digest went on the 11th yet: this is the day's one
    assert len(smtp_server.messages) == 2
    assert "Fourth" in smtp_server.bodies()[1] and "First" not in smtp_server.bodies()[1]

    with time_machine.travel(at(11, 21), tick=False):
        services.notify(recipient=user, kind="system", title="Fifth")
    open_and_send(at(11, 22))  # the 11th's digest went already: the fifth waits for the 12th
    assert len(smtp_server.messages) == 2
    open_and_send(at(12, 7, 31))
    open_and_send(at(12, 7, 36))  # a second beat: still one
    assert len(smtp_server.messages) == 3
    third = smtp_server.bodies()[2]
    assert "Fifth" in third and "Fourth" not in third
    assert Digest.objects.filter(recipient=user, status="sent").count() == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_digest_time_is_in_the_users_location_time_zone(user, smtp_server, north):
    north.time_zone = "America/New_York"
    north.save()
    prefer(user, email=True, timing="digest")
    with time_machine.travel(at(10, 9), tick=False):
        services.notify(recipient=user, kind="system", title="Across the pond")
    open_and_send(at(10, 11))  # 11:00 London is 06:00 New York: before 07:30 there
    assert smtp_server.messages == []
    open_and_send(at(10, 12, 45))  # 07:45 in New York
    assert len(smtp_server.messages) == 1


def test_a_failed_digest_is_retried_and_sent_once(user, smtp_server):
    prefer(user, email=True, timing="digest")
    with time_machine.travel(at(10, 9), tick=False):
        services.notify(recipient=user, kind="system", title="Retry me")
    smtp_server.fail_next.append("421 4.7.0 Too busy")
    with time_machine.travel(at(10, 8 + 12), tick=False):
        [digest_id] = services.digests_claim_due()
        with pytest.raises(DeliveryError):
            services.digest_send(digest_id=digest_id, final_attempt=False)
        assert Delivery.objects.get().status == "retrying"
        services.digest_send(digest_id=digest_id, final_attempt=False)
        assert services.digest_send(digest_id=digest_id, final_attempt=False) is None
    assert len(smtp_server.messages) == 1 and Delivery.objects.get().status == "sent"


def test_the_sweep_requeues_what_never_reached_a_worker(user, smtp_server):
    prefer(user, email=True)
    made = datetime.datetime(2026, 11, 10, 9, 0, tzinfo=LONDON)
    with time_machine.travel(made, tick=False):
        stuck = services.notify(recipient=user, kind="system", title="Broker was down").deliveries.get()
    with time_machine.travel(made + datetime.timedelta(minutes=3), tick=False):
        fresh = services.notify(recipient=user, kind="system", title="Just made").deliveries.get()
        assert services.deliveries_requeue_stuck() == ([], [])  # nothing is late yet
    with time_machine.travel(made + datetime.timedelta(minutes=6), tick=False):
        assert services.deliveries_requeue_stuck() == ([stuck.pk], [])
        Delivery.objects.filter(pk=fresh.pk).update(status="sending", claimed_at=made)  # its worker died
    with time_machine.travel(made + datetime.timedelta(minutes=11), tick=False):
        assert sorted(services.deliveries_requeue_stuck()[0]) == sorted([stuck.pk, fresh.pk])
        services.delivery_send(delivery_id=stuck.pk, final_attempt=False)
        services.delivery_send(delivery_id=fresh.pk, final_attempt=False)
        assert services.deliveries_requeue_stuck() == ([], [])
    assert len(smtp_server.messages) == 2
