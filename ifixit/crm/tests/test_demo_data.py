"""The customer-care demo data that seed_demo lays over the inventory demo."""

from collections import Counter, defaultdict

import pytest
from django.utils import timezone

from ifixit.crm import services
from ifixit.crm.models import Communication, Customer, FollowUp, FollowUpRule, Survey
from ifixit.inventory.models import Sale
from ifixit.phones import normalise_phone

# Enough cars (about 60% sold) for the full three hundred customers; the default is 1000.
CARS = 500


@pytest.fixture(scope="module")
def demo_options():
    return {"cars": CARS}  # seeded once for the module (ifixit.testing.demo)


def _purchases() -> dict[int, list[Sale]]:
    purchases = defaultdict(list)
    for sale in Sale.objects.exclude(customer=None):
        purchases[sale.customer_id].append(sale)
    return purchases


def test_it_makes_a_few_hundred_customers_a_fifth_of_them_repeat_buyers(seeded):
    assert "Customer care: " in seeded
    total = Customer.objects.count()
    assert 200 <= total <= 400
    counts = Counter(len(sales) for sales in _purchases().values())
    repeat = sum(n for bought, n in counts.items() if bought >= 2)
    assert 0.15 <= repeat / total <= 0.25
    assert max(counts) <= 4
    enquiries = Customer.objects.filter(purchases__isnull=True).count()
    assert enquiries > 0
    assert Customer.objects.filter(kind=Customer.Kind.BUSINESS).exclude(contact_name="").exists()


def test_it_links_each_buyer_to_the_locations_of_their_purchases(seeded):
    locations = defaultdict(set)
    for customer_id, location_id in Customer.locations.through.objects.values_list("customer_id", "location_id"):
        locations[customer_id].add(location_id)
    purchases = _purchases()
    for customer_id, sales in purchases.items():
        assert {sale.location_id for sale in sales} <= locations[customer_id], customer_id
        assert all(sale.buyer_name == sales[0].customer.name for sale in sales)
    assert all(locations[pk] for pk in Customer.objects.values_list("pk", flat=True))
    assert any(len({s.location_id for s in sales}) > 1 for sales in purchases.values())


def test_it_gives_every_customer_valid_contact_details_and_a_created_history_row(seeded):
    customers = list(Customer.objects.all())
    for customer in customers:
        customer.full_clean()
        assert customer.email or customer.phone, customer.pk
        assert customer.email == customer.email.lower()
        if customer.phone:
            assert normalise_phone(customer.phone) == customer.phone
            assert not customer.phone.startswith("+447700900")  # Ofcom's drama range
        if customer.email_marketing:
            assert customer.email_marketing_changed_at is not None
        if customer.sms_marketing:
            assert customer.sms_marketing_changed_at is not None
    assert len({c.email for c in customers if c.email}) == sum(1 for c in customers if c.email)
    created = Customer.history.filter(history_type="+")
    assert sorted(created.values_list("id", flat=True)) == sorted(c.pk for c in customers)
    assert not created.filter(history_user=None).exists()
    email_share = sum(c.email_marketing for c in customers) / len(customers)
    sms_share = sum(c.sms_marketing for c in customers) / len(customers)
    assert 0.3 <= email_share <= 0.5 and 0.15 <= sms_share <= 0.35


def test_it_logs_every_channel_and_leaves_nothing_to_send(seeded):
    channels = set(Communication.objects.values_list("channel", flat=True))
    assert channels == set(Communication.Channel.values)
    waiting = [Communication.Status.QUEUED, Communication.Status.SENDING, Communication.Status.RETRYING]
    assert not Communication.objects.filter(status__in=waiting).exists()
    sent = Communication.objects.filter(status=Communication.Status.SENT)
    assert sent.exists() and not sent.filter(sent_at=None).exists() and not sent.filter(address="").exists()
    failed = Communication.objects.filter(status=Communication.Status.FAILED)
    assert failed.count() >= 2 and not failed.filter(last_error="").exists()
    assert not Communication.objects.filter(occurred_at__gt=timezone.now()).exists()
    marketing = Communication.objects.filter(purpose=Communication.Purpose.MARKETING).select_related("customer")
    for message in marketing:  # sent only to those who had agreed by then (and may have withdrawn since)
        channel = "email_marketing" if message.channel == Communication.Channel.EMAIL else "sms_marketing"
        agreed, changed_at = getattr(message.customer, channel), getattr(message.customer, f"{channel}_changed_at")
        assert changed_at is not None
        assert (agreed and changed_at < message.occurred_at) or (not agreed and changed_at > message.occurred_at)
    assert services.surveys_due() == []


def test_it_records_a_stop_reply_that_withdrew_sms_consent(seeded):
    stop = Communication.objects.get(
        channel=Communication.Channel.SMS, direction=Communication.Direction.INBOUND, body="STOP"
    )
    customer = stop.customer
    assert stop.status == Communication.Status.RECEIVED
    assert not customer.sms_marketing and customer.sms_marketing_changed_at == stop.occurred_at
    assert customer.communications.filter(
        channel=Communication.Channel.SMS, purpose=Communication.Purpose.MARKETING, occurred_at__lt=stop.occurred_at
    ).exists()
    assert customer.history.filter(history_change_reason="Replied STOP by SMS", sms_marketing=False).exists()


def test_it_makes_open_overdue_and_done_follow_ups_from_the_rules_and_by_hand(seeded):
    now = timezone.now()
    assert FollowUpRule.objects.filter(is_active=True).values("location").distinct().count() == 3
    follow_ups = FollowUp.objects.all()
    assert follow_ups.filter(status=FollowUp.Status.OPEN, due_at__gt=now).exists()
    assert follow_ups.filter(status=FollowUp.Status.OPEN, due_at__lt=now).exists()
    assert follow_ups.filter(status=FollowUp.Status.OPEN, due_at__date=timezone.localdate()).exists()
    done = follow_ups.filter(status=FollowUp.Status.DONE)
    assert done.exists() and not done.filter(outcome="").exists() and not done.filter(done_at__gt=now).exists()
    assert follow_ups.filter(rule__isnull=False).exists() and follow_ups.filter(rule=None).exists()
    for follow_up in follow_ups.filter(sale__isnull=False).select_related("sale"):
        assert (
            follow_up.customer_id == follow_up.sale.customer_id and follow_up.location_id == follow_up.sale.location_id
        )


def test_it_answers_most_recent_surveys_with_scores_in_range(seeded):
    surveys = Survey.objects.select_related("sale")
    statuses = Counter(surveys.values_list("status", flat=True))
    assert statuses[Survey.Status.ANSWERED] > statuses[Survey.Status.SENT] > 0
    assert statuses[Survey.Status.SCHEDULED] > 0
    today = timezone.localdate()
    for survey in surveys:
        assert survey.customer_id == survey.sale.customer_id
        if survey.status == Survey.Status.ANSWERED:
            assert 0 <= survey.recommend_score <= 10 and 1 <= survey.satisfaction <= 5
            assert survey.sent_at < survey.answered_at <= timezone.now()
            assert survey.invitation_id is not None
        elif survey.status == Survey.Status.SENT:
            assert survey.token_hash and survey.expires_at and survey.invitation_id is not None
        else:
            assert survey.status == Survey.Status.SCHEDULED and survey.send_on > today
    scores = list(surveys.filter(status=Survey.Status.ANSWERED).values_list("recommend_score", flat=True))
    nps = 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)
    assert 40 <= nps <= 60
    assert surveys.filter(recommend_score__lte=6).exclude(comment="").exists()
