"""Customer care's rules, through its services: normalising and duplicates, consent,
sending through a real SMTP server and the SMS provider stand-in, inbound STOP,
follow-ups and their reminders, automatic rules, surveys that take one answer."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ifixit.crm import selectors, services
from ifixit.crm.models import Communication, Customer, FollowUp, FollowUpRule, Survey
from ifixit.inventory import services as inventory
from ifixit.inventory.models import Phase, Sale
from ifixit.notifications.models import Notification
from ifixit.testing.factories import CarFactory, CustomerFactory, RepairItemFactory, UserFactory
from ifixit.testing.stand_ins import sms_provider, smtp_server  # noqa: F401 (fixtures)

TODAY = timezone.localdate


def add(user, location, **fields):
    return services.customer_create(user=user, location=location, **{"name": "Jo Bloggs", **fields})


def sell(user, car, customer, sold_on=None):
    return inventory.sale_record(user=user, car_id=car.pk, sold_on=sold_on or TODAY(), price=Decimal("9000"), customer_id=customer.pk)


# --- Customers -------------------------------------------------------------------------


def test_it_normalises_email_phone_and_postcode(sales_user, north):
    customer = add(sales_user, north, email="  Jo.Bloggs@Example.COM ", phone="07911 123456", postcode="ls1  4ap")
    assert (customer.email, customer.phone, customer.postcode) == ("jo.bloggs@example.com", "+447911123456", "LS1 4AP")
    assert list(customer.locations.all()) == [north]
    assert customer.history.count() == 1 and customer.history.first().history_user == sales_user


def test_bad_email_and_phone_are_refused_together_and_nothing_is_written(sales_user, north):
    with pytest.raises(ValidationError) as caught:
        add(sales_user, north, email="jo@", phone="12")
    assert set(caught.value.message_dict) == {"email", "phone"}
    assert "valid email" in caught.value.message_dict["email"][0]
    assert not Customer.objects.exists()


def test_a_customer_needs_a_way_to_be_reached(sales_user, north):
    with pytest.raises(ValidationError, match="email address or a phone number"):
        add(sales_user, north)


def test_a_matching_email_or_phone_offers_the_existing_record(sales_user, north):
    existing = add(sales_user, north, email="jo@example.com", phone="07911 123456")
    with pytest.raises(services.DuplicateCustomer) as caught:
        add(sales_user, north, name="Jo B", email="JO@example.com")
    assert caught.value.matches == [existing]
    with pytest.raises(services.DuplicateCustomer):
        add(sales_user, north, name="Jo B", email="other@example.com", phone="+44 7911 123456")
    twin = add(sales_user, north, name="Jo's partner", email="jo@example.com", allow_duplicate=True)
    assert twin.pk != existing.pk


def test_a_customer_of_another_location_is_shared_only_with_proof(sales_user, outsider, north, south):
    theirs = add(outsider, south, email="pat@example.com")
    assert not selectors.customers_visible_to(sales_user).filter(pk=theirs.pk).exists()
    with pytest.raises(Customer.DoesNotExist):
        services.customer_share_with_location(user=sales_user, customer_id=theirs.pk, location=north, email="guess@example.com")
    services.customer_share_with_location(user=sales_user, customer_id=theirs.pk, location=north, email="Pat@Example.com")
    assert selectors.customers_visible_to(sales_user).filter(pk=theirs.pk).exists()


def test_consent_changes_are_dated_and_audited(sales_user, manager, north):
    customer = add(sales_user, north, email="jo@example.com", email_marketing=True)
    assert customer.email_marketing_changed_at is not None and customer.sms_marketing_changed_at is None
    services.customer_update(user=manager, customer_id=customer.pk, email_marketing=False, tags=["VIP", "trade"])
    customer.refresh_from_db()
    assert customer.email_marketing is False and customer.email_marketing_changed_at is not None
    from ifixit.crm.history import customer_changes

    changes = customer_changes(customer)
    assert [c.action for c in changes] == ["changed", "changed", "created"]  # the tags are saved as a change of their own
    assert {c.user for c in changes[:2]} == {manager}
    shown = {(f.label, f.old_display, f.new_display) for c in changes[:2] for f in c.fields if f.field != "email_marketing_changed_at"}
    assert shown == {("Marketing by email", "yes", "no"), ("Tags", "", "VIP, trade")}


def test_users_see_only_customers_of_their_locations(sales_user, outsider, north, south, admin_user):
    mine = CustomerFactory(locations=[north])
    theirs = CustomerFactory(locations=[south])
    both = CustomerFactory(locations=[north, south])
    assert set(selectors.customers_visible_to(sales_user)) == {mine, both}
    assert set(selectors.customers_visible_to(outsider)) == {theirs, both}
    assert set(selectors.customers_visible_to(admin_user)) == {mine, theirs, both}
    with pytest.raises(Customer.DoesNotExist):
        services.customer_update(user=sales_user, customer_id=theirs.pk, name="Nope")


def test_workshop_staff_cannot_add_customers(workshop_user, north):
    with pytest.raises(PermissionDenied):
        add(workshop_user, north, email="x@example.com")


def test_merge_moves_everything_to_the_survivor(admin_user, sales_user, north, south):
    survivor = CustomerFactory(name="Jo Bloggs", phone="", locations=[north])
    duplicate = CustomerFactory(name="J Bloggs", email="", phone="+447911123456", address_line1="1 Low Rd", locations=[south])
    car = CarFactory(location=south, phase=Phase.LISTED)
    sale = inventory.sale_record(user=admin_user, car_id=car.pk, sold_on=TODAY(), price=Decimal("5000"), customer_id=duplicate.pk)
    services.communication_log(user=admin_user, customer_id=duplicate.pk, channel="call", body="Asked about tyres")
    with pytest.raises(PermissionDenied):
        services.customer_merge(user=sales_user, survivor_id=survivor.pk, merged_id=duplicate.pk)
    services.customer_merge(user=admin_user, survivor_id=survivor.pk, merged_id=duplicate.pk)
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    sale.refresh_from_db()
    assert sale.customer == survivor and duplicate.merged_into == survivor
    assert survivor.phone == "+447911123456" and survivor.address_line1 == "1 Low Rd"
    assert set(survivor.locations.all()) == {north, south}
    assert survivor.communications.filter(body="Asked about tyres").exists()
    assert survivor.surveys.count() == 1
    assert not selectors.customers_visible_to(admin_user).filter(pk=duplicate.pk).exists()
    with pytest.raises(Customer.DoesNotExist):
        services.customer_merge(user=admin_user, survivor_id=survivor.pk, merged_id=duplicate.pk)


def test_merge_keeps_the_latest_consent_decision(admin_user, north):
    now = timezone.now()
    a = CustomerFactory(locations=[north], sms_marketing=True, sms_marketing_changed_at=now - datetime.timedelta(days=30))
    b = CustomerFactory(locations=[north], sms_marketing=False, sms_marketing_changed_at=now - datetime.timedelta(days=1))
    services.customer_merge(user=admin_user, survivor_id=a.pk, merged_id=b.pk)
    a.refresh_from_db()
    assert a.sms_marketing is False  # withdrawn after it was given: the withdrawal stands


# --- Sales and the communication log -----------------------------------------------------


def test_a_sale_links_the_customer_to_the_location_and_schedules_the_survey(sales_user, north, south):
    customer = CustomerFactory(locations=[south])
    car = CarFactory(location=north, phase=Phase.LISTED)
    sale = inventory.sale_record(  # an admin-like seller of both: the sale makes them North's customer too
        user=UserFactory(role="manager", locations=[north, south]), car_id=car.pk, sold_on=TODAY() - datetime.timedelta(days=2),
        price=Decimal("9000"), customer_id=customer.pk,
    )
    assert set(customer.locations.all()) == {north, south}
    survey = Survey.objects.get(sale=sale)
    assert survey.send_on == sale.sold_on + datetime.timedelta(days=north.survey_after_days)
    assert survey.salesperson == sale.sold_by and survey.status == Survey.Status.SCHEDULED


def test_service_email_goes_through_smtp_and_is_logged_sent(sales_user, north, smtp_server, django_capture_on_commit_callbacks):
    customer = CustomerFactory(locations=[north], email="jo@example.com")
    car = CarFactory(location=north, phase=Phase.LISTED)
    sell(sales_user, car, customer)
    with django_capture_on_commit_callbacks(execute=False):
        message = services.communication_send(
            user=sales_user, customer_id=customer.pk, channel="email", purpose="service", subject="Your V5C", body="The logbook is in the post.", car_id=car.pk
        )
    assert message.status == Communication.Status.QUEUED
    services.communication_deliver(communication_id=message.pk, final_attempt=False)
    message.refresh_from_db()
    assert message.status == Communication.Status.SENT and message.sent_at
    [mail] = smtp_server.messages
    assert mail["To"] == "jo@example.com" and mail["Subject"] == "Your V5C" and mail["Reply-To"] == sales_user.email
    assert "The logbook is in the post." in mail.get_payload(decode=True).decode()
    # A second run (duplicate task) sends nothing.
    assert services.communication_deliver(communication_id=message.pk, final_attempt=False) is None
    assert len(smtp_server.messages) == 1


def test_marketing_needs_consent_for_that_channel(sales_user, north):
    customer = CustomerFactory(locations=[north], email_marketing=True, sms_marketing=False)
    with pytest.raises(ValidationError) as caught:
        services.communication_send(user=sales_user, customer_id=customer.pk, channel="sms", purpose="marketing", body="Spring sale!")
    assert "not agreed to marketing by SMS" in caught.value.message_dict["purpose"][0]
    services.communication_send(user=sales_user, customer_id=customer.pk, channel="email", purpose="marketing", subject="Spring sale", body="20% off")
    assert Communication.objects.count() == 1


def test_a_service_message_must_be_about_their_purchase(sales_user, north):
    enquiry = CustomerFactory(locations=[north])
    with pytest.raises(ValidationError, match="bought nothing yet"):
        services.communication_send(user=sales_user, customer_id=enquiry.pk, channel="sms", purpose="service", body="Hello")
    other_car = CarFactory(location=north, phase=Phase.LISTED)
    buyer = CustomerFactory(locations=[north])
    sell(sales_user, CarFactory(location=north, phase=Phase.LISTED), buyer)
    with pytest.raises(ValidationError, match="cars this customer bought"):
        services.communication_send(user=sales_user, customer_id=buyer.pk, channel="sms", purpose="service", body="Hi", car_id=other_car.pk)
    assert not Communication.objects.exists()


def test_sms_goes_through_the_provider_and_a_refusal_is_recorded(sales_user, north, sms_provider):
    customer = CustomerFactory(locations=[north], sms_marketing=True)
    ok = services.communication_send(user=sales_user, customer_id=customer.pk, channel="sms", purpose="marketing", body="Open day Saturday")
    services.communication_deliver(communication_id=ok.pk, final_attempt=False)
    ok.refresh_from_db()
    assert ok.status == "sent" and ok.provider_id == sms_provider.messages[0]["sid"]
    assert sms_provider.messages[0]["To"] == customer.phone
    assert sms_provider.messages[0]["Body"] == "Open day Saturday\nReply STOP to opt out"  # marketing says how to stop
    sms_provider.fail_next.append((400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}))
    refused = services.communication_send(user=sales_user, customer_id=customer.pk, channel="sms", purpose="marketing", body="Again")
    services.communication_deliver(communication_id=refused.pk, final_attempt=False)
    refused.refresh_from_db()
    assert refused.status == "failed" and "21610" in refused.last_error


def test_logging_a_call_and_bad_log_input(sales_user, north):
    customer = CustomerFactory(locations=[north])
    call = services.communication_log(user=sales_user, customer_id=customer.pk, channel="call", direction="in", body="Rang about finance")
    assert call.status == "logged" and call.location == north and call.user == sales_user
    with pytest.raises(ValidationError) as caught:
        services.communication_log(user=sales_user, customer_id=customer.pk, channel="email", body="")
    assert {"channel", "body"} <= set(caught.value.message_dict)
    with pytest.raises(ValidationError, match="future"):
        services.communication_log(
            user=sales_user, customer_id=customer.pk, channel="visit", body="x", occurred_at=timezone.now() + datetime.timedelta(days=1)
        )
    assert Communication.objects.count() == 1


def test_stop_withdraws_sms_consent_and_start_gives_it_back(north):
    customer = CustomerFactory(locations=[north], phone="+447911123456", sms_marketing=True)
    services.sms_inbound(from_number="07911 123456", body="Stop ", provider_id="SM1")
    customer.refresh_from_db()
    assert customer.sms_marketing is False and customer.sms_marketing_changed_at is not None
    assert customer.history.first().history_change_reason == "Replied STOP by SMS"
    entry = customer.communications.get()
    assert (entry.direction, entry.status, entry.subject) == ("in", "received", "Withdrew SMS consent")
    services.sms_inbound(from_number="+447911123456", body="Stop", provider_id="SM1")  # the provider retried
    assert customer.communications.count() == 1
    services.sms_inbound(from_number="+447911123456", body="START", provider_id="SM2")
    customer.refresh_from_db()
    assert customer.sms_marketing is True


def test_a_reply_tells_whoever_texted_them(sales_user, north):
    customer = CustomerFactory(locations=[north], sms_marketing=True)
    services.communication_send(user=sales_user, customer_id=customer.pk, channel="sms", purpose="marketing", body="Open day")
    services.sms_inbound(from_number=customer.phone, body="Is the blue Golf still there?", provider_id="SM9")
    note = Notification.objects.get(recipient=sales_user, kind="customer_reply")
    assert "Is the blue Golf" in note.title and note.link.endswith(f"/customers/{customer.pk}/")


# --- Follow-ups ------------------------------------------------------------------------


def test_follow_up_reminds_its_assignee_once_per_due_time(sales_user, manager, north):
    customer = CustomerFactory(locations=[north])
    due = timezone.now() + datetime.timedelta(hours=1)
    follow_up = services.follow_up_create(user=manager, customer_id=customer.pk, due_at=due, assignee_id=sales_user.pk, note="Ask about part-ex")
    assert services.follow_ups_remind_due(now=due - datetime.timedelta(minutes=1)) == 0
    assert services.follow_ups_remind_due(now=due) == 1
    assert services.follow_ups_remind_due(now=due + datetime.timedelta(minutes=5)) == 0  # a second beat: no second reminder
    services.follow_up_snooze(user=sales_user, follow_up_id=follow_up.pk, until=due + datetime.timedelta(days=1))
    assert services.follow_ups_remind_due(now=due + datetime.timedelta(days=1, minutes=1)) == 1  # reminded again at the new time
    assert Notification.objects.filter(recipient=sales_user, kind="follow_up_due").count() == 2
    services.follow_up_complete(user=sales_user, follow_up_id=follow_up.pk, outcome="spoke", note="Coming Saturday")
    follow_up.refresh_from_db()
    assert follow_up.status == "done" and follow_up.done_by == sales_user
    with pytest.raises(ValidationError, match="done, so it cannot be snoozed"):
        services.follow_up_snooze(user=sales_user, follow_up_id=follow_up.pk, until=due + datetime.timedelta(days=3))


def test_follow_up_bad_input(sales_user, outsider, north):
    customer = CustomerFactory(locations=[north])
    with pytest.raises(ValidationError) as caught:
        services.follow_up_create(
            user=sales_user, customer_id=customer.pk, due_at=timezone.now() - datetime.timedelta(days=1), assignee_id=outsider.pk
        )
    assert {"due_at", "assignee"} <= set(caught.value.message_dict)
    with pytest.raises(ValidationError, match="Say how it went"):
        fu = services.follow_up_create(user=sales_user, customer_id=customer.pk, due_at=timezone.now() + datetime.timedelta(days=1), assignee_id=sales_user.pk)
        services.follow_up_complete(user=sales_user, follow_up_id=fu.pk, outcome="great")
    with pytest.raises(FollowUp.DoesNotExist):
        services.follow_up_complete(user=outsider, follow_up_id=fu.pk, outcome="spoke")


def test_a_follow_up_goes_only_to_someone_who_can_see_where_it_is_filed(manager, outsider, north, south):
    shared = CustomerFactory(locations=[north, south])
    with pytest.raises(ValidationError, match="works with customers at North Yard"):
        services.follow_up_create(  # filed at North (the manager's), so a South-only person could never act on it
            user=manager, customer_id=shared.pk, due_at=timezone.now() + datetime.timedelta(days=1), assignee_id=outsider.pk
        )
    assert not FollowUp.objects.exists()


def test_a_cancelled_follow_up_is_dated_when_it_was_closed(sales_user, north):
    customer = CustomerFactory(locations=[north])
    fu = services.follow_up_create(user=sales_user, customer_id=customer.pk, due_at=timezone.now() + datetime.timedelta(days=9), assignee_id=sales_user.pk)
    services.follow_up_cancel(user=sales_user, follow_up_id=fu.pk, note="Moved away")
    fu.refresh_from_db()
    assert fu.status == "cancelled" and fu.done_at <= timezone.now()


def test_rules_make_follow_ups_for_new_and_recent_sales(manager, sales_user, north):
    customer = CustomerFactory(locations=[north])
    old_car = CarFactory(location=north, phase=Phase.LISTED)
    old_sale = sell(sales_user, old_car, customer, sold_on=TODAY() - datetime.timedelta(days=40))
    rule = services.follow_up_rule_save(
        user=manager, location_id=north.pk, name="Warranty renewal", months_after_sale=11, note="Offer the extended warranty", assign_to="manager"
    )
    made = FollowUp.objects.get(rule=rule, sale=old_sale)  # the rule covered a recent sale whose follow-up is still ahead
    assert made.assignee == manager
    check_in = services.follow_up_rule_save(user=manager, location_id=north.pk, name="Check-in call", days_after_sale=3)
    new_sale = sell(sales_user, CarFactory(location=north, phase=Phase.LISTED), customer)
    follow_up = FollowUp.objects.get(rule=check_in, sale=new_sale)
    assert follow_up.assignee == sales_user
    assert timezone.localtime(follow_up.due_at).date() == new_sale.sold_on + datetime.timedelta(days=3)
    services.follow_ups_from_rules(sales=[new_sale])  # applied again: nothing doubled
    assert FollowUp.objects.filter(sale=new_sale).count() == 2  # check-in and warranty
    with pytest.raises(ValidationError, match="at least one day"):
        services.follow_up_rule_save(user=manager, location_id=north.pk, name="Never")
    with pytest.raises(PermissionDenied):
        services.follow_up_rule_save(user=sales_user, location_id=north.pk, name="x", days_after_sale=1)


def test_the_warranty_rule_falls_due_eleven_months_after_the_sale(manager, sales_user, north):
    rule = services.follow_up_rule_save(user=manager, location_id=north.pk, name="Warranty", months_after_sale=11)
    car = CarFactory(location=north, phase=Phase.LISTED, purchased_on=datetime.date(2026, 1, 2))
    sale = sell(sales_user, car, CustomerFactory(locations=[north]), sold_on=datetime.date(2026, 1, 31))
    follow_up = FollowUp.objects.get(rule=rule, sale=sale)
    due = follow_up.due_at.astimezone(datetime.timezone.utc).astimezone(__import__("zoneinfo").ZoneInfo(north.time_zone))
    assert (due.date(), due.hour) == (datetime.date(2026, 12, 31), 10)  # month ends clamp: 31 Jan + 11 months


# --- Surveys ---------------------------------------------------------------------------


@pytest.fixture
def sold(sales_user, north):
    north.survey_after_days = 0
    north.save()
    customer = CustomerFactory(locations=[north], email="jo@example.com")
    car = CarFactory(location=north, phase=Phase.LISTED)
    RepairItemFactory(car=car, description="Replaced clutch")
    car.phase = Phase.LISTED
    return sell(sales_user, car, customer)


def _token_from(body: str) -> str:
    import re

    return re.search(r"/survey/([A-Za-z0-9_-]+)/", body).group(1)


def test_the_survey_is_emailed_once_and_takes_one_answer(sold, manager, smtp_server):
    survey = services.survey_send(survey_id=sold.survey.pk)
    assert services.survey_send(survey_id=sold.survey.pk) is None  # a duplicate task sends nothing
    services.communication_deliver(communication_id=survey.invitation_id, final_attempt=False)
    [mail] = smtp_server.messages
    token = _token_from(mail.get_payload(decode=True).decode())
    assert Survey.objects.get(pk=survey.pk).token_hash == Survey.hash_token(token)  # only the hash is kept
    assert token not in Communication.objects.get(pk=survey.invitation_id).body  # the log shows a placeholder
    answered = services.survey_answer(token=token, recommend_score=3, satisfaction=2, comment="Clutch slips already")
    assert answered.status == "answered" and answered.nps_group == "detractor"
    alert = Notification.objects.get(recipient=manager, kind="low_satisfaction")
    assert alert.link == f"/customers/surveys/{survey.pk}/" and "Clutch slips" in alert.body
    with pytest.raises(services.SurveyClosed) as again:
        services.survey_answer(token=token, recommend_score=10, satisfaction=5)
    assert again.value.reason == "answered"
    assert Survey.objects.get(pk=survey.pk).recommend_score == 3


def test_a_tampered_or_expired_link_writes_nothing(sold):
    survey = services.survey_send(survey_id=sold.survey.pk)
    with pytest.raises(services.SurveyClosed) as unknown:
        services.survey_answer(token="not-a-real-token", recommend_score=9, satisfaction=5)
    assert unknown.value.reason == "unknown"
    token = "x" * 43
    Survey.objects.filter(pk=survey.pk).update(token_hash=Survey.hash_token(token), expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(services.SurveyClosed) as expired:
        services.survey_answer(token=token, recommend_score=9, satisfaction=5)
    assert expired.value.reason == "expired"
    assert Survey.objects.get(pk=survey.pk).answered_at is None


def test_out_of_range_scores_are_refused(sold):
    services.survey_send(survey_id=sold.survey.pk)
    token = "y" * 43
    Survey.objects.filter(pk=sold.survey.pk).update(token_hash=Survey.hash_token(token))
    with pytest.raises(ValidationError) as caught:
        services.survey_answer(token=token, recommend_score=11, satisfaction=0)
    assert set(caught.value.message_dict) == {"recommend_score", "satisfaction"}
    assert Survey.objects.get(pk=sold.survey.pk).status == "sent"


def test_a_customer_without_email_gets_the_survey_by_sms(sales_user, north, sms_provider):
    north.survey_after_days = 0
    north.save()
    customer = CustomerFactory(locations=[north], email="")
    sale = sell(sales_user, CarFactory(location=north, phase=Phase.LISTED), customer)
    survey = services.survey_send(survey_id=sale.survey.pk)
    services.communication_deliver(communication_id=survey.invitation_id, final_attempt=False)
    assert "/survey/" in sms_provider.messages[0]["Body"] and sms_provider.messages[0]["To"] == customer.phone


def test_satisfaction_figures_by_location_salesperson_and_month(sales_user, manager, north, south, admin_user):
    def answered(location, seller, score, satisfaction, when):
        car = CarFactory(location=location, phase=Phase.SOLD)
        sale = Sale.objects.create(car=car, sold_on=when.date(), price=Decimal("5000"), location=location, sold_by=seller, customer=CustomerFactory(locations=[location]))
        return Survey.objects.create(
            sale=sale, customer=sale.customer, location=location, salesperson=seller, send_on=when.date(), status="answered",
            answered_at=when, recommend_score=score, satisfaction=satisfaction,
        )

    now = timezone.now().replace(day=15)
    last_month = now - datetime.timedelta(days=31)
    answered(north, sales_user, 10, 5, now)
    answered(north, sales_user, 9, 4, now)
    answered(north, manager, 5, 2, last_month)
    answered(south, manager, 8, 3, now)
    figures = selectors.satisfaction_figures(user=admin_user)
    assert figures.overall.answers == 4 and figures.overall.nps == 25  # (2 promoters - 1 detractor) / 4
    assert figures.overall.average_satisfaction == Decimal("3.5")
    by_location = {s.label: (s.nps, s.answers) for s in figures.by_location}
    assert by_location == {"North Yard": (33, 3), "South Yard": (0, 1)}
    assert [(s.answers, s.nps) for s in figures.by_month] == [(1, -100), (3, 67)]
    assert {s.key: s.nps for s in figures.by_salesperson} == {sales_user.pk: 100, manager.pk: -50}
    assert [s.recommend_score for s in figures.low_scores] == [5]
    north_only = selectors.satisfaction_figures(user=sales_user)
    assert north_only.overall.answers == 3


# --- What review found -------------------------------------------------------------------


def test_only_a_whole_reply_of_stop_or_start_changes_consent(sales_user, north):
    customer = CustomerFactory(locations=[north], phone="+447911123456", sms_marketing=False)
    services.sms_inbound(from_number=customer.phone, body="Yes", provider_id="SM1")  # answering a question, not consenting
    services.sms_inbound(from_number=customer.phone, body="START please, and can I come Tuesday?", provider_id="SM2")
    customer.refresh_from_db()
    assert customer.sms_marketing is False
    customer.sms_marketing = True
    customer.save()
    services.sms_inbound(from_number=customer.phone, body="Cancel Tuesday please, I'm ill", provider_id="SM3")
    customer.refresh_from_db()
    assert customer.sms_marketing is True and customer.communications.count() == 3


def test_a_reply_other_than_stop_reaches_the_salesperson(sales_user, north):
    customer = CustomerFactory(locations=[north], sms_marketing=True)
    services.communication_send(user=sales_user, customer_id=customer.pk, channel="sms", purpose="marketing", body="Open day")
    services.sms_inbound(from_number=customer.phone, body="Yes", provider_id="SM5")
    assert Notification.objects.filter(recipient=sales_user, kind="customer_reply").count() == 1


def test_marketing_queued_before_a_stop_is_not_sent_after_it(sales_user, north, sms_provider):
    customer = CustomerFactory(locations=[north], sms_marketing=True)
    queued = services.communication_send(user=sales_user, customer_id=customer.pk, channel="sms", purpose="marketing", body="Sale!")
    services.sms_inbound(from_number=customer.phone, body="STOP", provider_id="SM7")
    services.communication_deliver(communication_id=queued.pk, final_attempt=False)
    queued.refresh_from_db()
    assert queued.status == "failed" and "withdrew consent" in queued.last_error
    assert sms_provider.messages == []


def test_a_subject_on_two_lines_and_an_sms_to_a_landline_are_refused(sales_user, north):
    customer = CustomerFactory(locations=[north], phone="+441132345678", email_marketing=True, sms_marketing=True)
    with pytest.raises(ValidationError, match="one line"):
        services.communication_send(user=sales_user, customer_id=customer.pk, channel="email", purpose="marketing", subject="Hi\nBcc: x@y.z", body="b")
    with pytest.raises(ValidationError, match="not a mobile number"):
        services.communication_send(user=sales_user, customer_id=customer.pk, channel="sms", purpose="marketing", body="b")
    assert not Communication.objects.exists()


def test_a_resent_survey_invitation_carries_the_same_working_link(sold, smtp_server):
    survey = services.survey_send(survey_id=sold.survey.pk)
    services.communication_deliver(communication_id=survey.invitation_id, final_attempt=False)
    Communication.objects.filter(pk=survey.invitation_id).update(status="queued")  # as if the worker died after SMTP took it
    services.communication_deliver(communication_id=survey.invitation_id, final_attempt=False)
    first, second = (_token_from(m.get_payload(decode=True).decode()) for m in smtp_server.messages)
    assert first == second
    assert services.survey_answer(token=first, recommend_score=10, satisfaction=5).status == "answered"


def test_a_departed_assignees_reminder_goes_to_the_managers(sales_user, manager, north):
    customer = CustomerFactory(locations=[north])
    follow_up = services.follow_up_create(
        user=manager, customer_id=customer.pk, due_at=timezone.now() + datetime.timedelta(minutes=1), assignee_id=sales_user.pk
    )
    sales_user.is_active = False
    sales_user.save()
    assert services.follow_ups_remind_due(now=follow_up.due_at) == 1
    assert Notification.objects.filter(recipient=manager, kind="follow_up_due").exists()
