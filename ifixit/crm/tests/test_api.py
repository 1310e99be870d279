"""REST API v1 of customer care: every endpoint for the happy path, anonymous (401), a
user of another location (404), a role without customer care (403), the wrong method
(405) and bad input (field-keyed 400 with nothing written); duplicates (409), stale
follow-ups (409), fixed query counts, the sale endpoint's customer and the schema."""

import datetime
from decimal import Decimal

import factory
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from ifixit.accounts.models import User
from ifixit.crm import services
from ifixit.crm.models import Communication, Customer, FollowUp, Survey, Tag
from ifixit.inventory.models import Car, Phase, Sale
from ifixit.testing.factories import CarFactory

# --- Factories (customer care's own; the shared ones live in ifixit.testing) ---------------


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Customer {n:03d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.set(extracted)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(Tag.objects.get_or_create(name=name)[0] for name in extracted)


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    customer = factory.SubFactory(CustomerFactory)
    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=2))
    note = "Check-in call"


def sale_of(customer: Customer, *, location, sold_by=None, days_ago=10, price="9500.00") -> Sale:
    car = CarFactory(location=location, phase=Phase.SOLD, make="Vauxhall", model="Corsa")
    return Sale.objects.create(
        car=car,
        customer=customer,
        location=location,
        sold_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        price=Decimal(price),
        cost_at_sale=Decimal("7000.00"),
        sold_by=sold_by,
    )


def answered_survey(sale: Sale, *, recommend: int, satisfaction: int, at=None) -> Survey:
    return Survey.objects.create(
        sale=sale,
        customer=sale.customer,
        location=sale.location,
        salesperson=sale.sold_by,
        send_on=sale.sold_on,
        status=Survey.Status.ANSWERED,
        answered_at=at or timezone.now(),
        recommend_score=recommend,
        satisfaction=satisfaction,
        comment="Fine",
    )


# --- Clients and helpers ---------------------------------------------------------------------


@pytest.fixture
def anon():
    return APIClient()


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def api(manager):
    return api_for(manager)


@pytest.fixture
def outsider_api(outsider):
    return api_for(outsider)


@pytest.fixture
def workshop_api(workshop_user):
    return api_for(workshop_user)


@pytest.fixture
def customer(north):
    return CustomerFactory(name="Jo Bloggs", email="jo@example.com", phone="+447911123456", locations=[north], tags=["VIP"])


def url(name, *args):
    return reverse(name, args=args)


def tomorrow() -> str:
    return (timezone.now() + datetime.timedelta(days=1)).isoformat()


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


NEW_CUSTOMER = {
    "name": " Alex Smith ",
    "email": " Alex.Smith@Example.COM ",
    "phone": "07911 100001",
    "postcode": "ls11aa",
    "town": "Leeds",
    "tags": ["Trade", "VIP"],
    "email_marketing": True,
}


# --- Customer list ---------------------------------------------------------------------------


def test_it_lists_the_customers_of_the_users_locations(api, customer, north, south, manager):
    sale_of(customer, location=north)
    sale_of(customer, location=north)
    Communication.objects.create(customer=customer, channel="call", body="Called", user=manager)
    CustomerFactory(name="Sam South", locations=[south])

    response = api.get(url("api_customer_list"))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["next"] is None
    row = body["results"][0]
    assert row["id"] == customer.id and row["name"] == "Jo Bloggs" and row["kind"] == "person"
    assert row["email"] == "jo@example.com" and row["phone"] == "+447911123456"
    assert row["tags"] == ["VIP"]
    assert row["locations"] == [{"id": north.id, "code": "NTH", "name": "North Yard"}]
    assert row["purchase_count"] == 2 and row["last_contact_at"] is not None
    assert row["email_marketing"] is False and row["sms_marketing"] is False
    assert row["url"] == "http://testserver" + url("api_customer_detail", customer.id)


def test_a_customer_shared_with_another_location_is_listed_there_too(outsider_api, customer, south):
    customer.locations.add(south)
    response = outsider_api.get(url("api_customer_list"))
    assert [row["id"] for row in response.json()["results"]] == [customer.id]


def test_it_filters_the_list(api, north, south):
    jo = CustomerFactory(name="Jo Bloggs", phone="+447911123456", locations=[north], tags=["Trade"], email_marketing=True)
    ann = CustomerFactory(name="Ann Other", locations=[north, south], sms_marketing=True, phone="+447911100002")
    bob = CustomerFactory(name="Bob Repeat", locations=[north], email_marketing=True, email="")
    bob.phone = "+447911100003"
    bob.save()
    sale_of(bob, location=north)
    sale_of(bob, location=north)

    def ids(**params):
        response = api.get(url("api_customer_list"), params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [ann.id, bob.id, jo.id]  # by name
    assert ids(q="bloggs") == [jo.id]
    assert ids(q="07911 123456") == [jo.id]  # typed the British way, stored as +44
    assert ids(tag="trade") == [jo.id]
    assert ids(location=north.id) == [ann.id, bob.id, jo.id]
    assert ids(repeat=1) == [bob.id]
    assert ids(marketing="email") == [jo.id]  # bob agreed but has no address
    assert ids(marketing="sms") == [ann.id]
    assert ids(q="", tag="", marketing="") == [ann.id, bob.id, jo.id]  # blank means "any"


@pytest.mark.parametrize(
    "params, field", [({"marketing": "fax"}, "marketing"), ({"location": "north"}, "location"), ({"repeat": "maybe"}, "repeat")]
)
def test_the_list_refuses_filters_it_cannot_read(api, customer, params, field):
    response = api.get(url("api_customer_list"), params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_list_refuses_a_location_the_user_may_not_see(api, customer, south):
    assert api.get(url("api_customer_list"), {"location": south.id}).status_code == 404


def test_the_list_refuses_anonymous_the_workshop_and_put(anon, api, workshop_api, customer):
    assert_unauthenticated(anon.get(url("api_customer_list")))
    assert workshop_api.get(url("api_customer_list")).status_code == 403
    assert api.put(url("api_customer_list"), {}, format="json").status_code == 405


def test_an_admin_sees_every_customer(admin_user, customer, south):
    CustomerFactory(locations=[south])
    assert api_for(admin_user).get(url("api_customer_list")).json()["count"] == 2


def test_the_list_runs_a_fixed_number_of_queries(django_assert_num_queries, manager, north, south):
    def add_customers(n):
        for _ in range(n):
            customer = CustomerFactory(locations=[north, south], tags=["VIP", "Trade"])
            sale_of(customer, location=north)
            Communication.objects.create(customer=customer, channel="note", body="Met")

    def get_list(client):
        response = client.get(url("api_customer_list"))
        assert response.status_code == 200
        return response.json()["count"]

    # The user's permissions (2: each client has a fresh user, nothing cached), the
    # page's count and rows, their tags and their locations.
    add_customers(3)
    client = api_for(User.objects.get(pk=manager.pk))
    with django_assert_num_queries(6):
        assert get_list(client) == 3
    add_customers(17)
    client = api_for(User.objects.get(pk=manager.pk))
    with django_assert_num_queries(6):
        assert get_list(client) == 20


# --- Customer create -------------------------------------------------------------------------


def test_it_adds_a_customer(api, manager, north):
    response = api.post(url("api_customer_list"), {**NEW_CUSTOMER, "location": north.id}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    customer = Customer.objects.get()
    assert body["id"] == customer.id and body["name"] == "Alex Smith"
    assert body["email"] == "alex.smith@example.com" and body["phone"] == "+447911100001" and body["postcode"] == "LS1 1AA"
    assert body["tags"] == ["Trade", "VIP"] and body["locations"][0]["id"] == north.id
    assert body["email_marketing"] is True and body["email_marketing_changed_at"] is not None
    assert body["sms_marketing"] is False and body["sms_marketing_changed_at"] is None
    assert body["purchases"] == [] and body["created_by"] == "nina" and body["merged_into"] is None
    assert customer.created_by == manager and list(customer.locations.all()) == [north]
    assert {version.history_user for version in customer.history.all()} == {manager}


def test_a_duplicate_is_a_conflict_that_lists_only_what_the_user_may_see(api, customer, south):
    stranger = CustomerFactory(name="Sam Secret", email="sam@example.com", phone="+447911100001", locations=[south])

    response = api.post(
        url("api_customer_list"),
        {"name": "Jo B", "email": "JO@example.com", "phone": "07911 100001", "location": customer.locations.get().id},
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["matches"] == [{"id": customer.id, "name": "Jo Bloggs"}, {"at_location": "South Yard"}]
    assert "email" in body and "Sam" not in str(body) and str(stranger.id) not in str(body["matches"])
    assert Customer.objects.count() == 2


def test_a_duplicate_can_be_added_on_purpose(api, customer, north):
    response = api.post(
        url("api_customer_list"),
        {"name": "Jo's partner", "email": "jo@example.com", "location": north.id, "allow_duplicate": True},
        format="json",
    )
    assert response.status_code == 201
    assert Customer.objects.filter(email="jo@example.com").count() == 2


@pytest.mark.parametrize(
    "changes, fields",
    [
        ({"email": "jo@example"}, {"email"}),
        ({"phone": "12345"}, {"phone"}),
        ({"email": "not an email", "phone": "+44 7911"}, {"email", "phone"}),
        ({"email": "", "phone": ""}, {"email"}),  # no way to reach them
        ({"name": ""}, {"name"}),
        ({"kind": "alien"}, {"kind"}),
        ({"tags": "VIP"}, {"tags"}),
        ({"email_marketing": "perhaps"}, {"email_marketing"}),
    ],
)
def test_a_bad_customer_is_refused_by_field_and_writes_nothing(api, north, changes, fields):
    response = api.post(url("api_customer_list"), {**NEW_CUSTOMER, "location": north.id, **changes}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not Customer.objects.exists() and not Tag.objects.exists()


def test_a_customer_needs_a_location_of_the_users(api, south):
    for location in ({}, {"location": south.id}, {"location": 0}):
        response = api.post(url("api_customer_list"), {**NEW_CUSTOMER, **location}, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["location"]
    assert not Customer.objects.exists()


def test_adding_a_customer_refuses_anonymous_and_the_workshop(anon, workshop_api, north):
    body = {**NEW_CUSTOMER, "location": north.id}
    assert_unauthenticated(anon.post(url("api_customer_list"), body, format="json"))
    assert workshop_api.post(url("api_customer_list"), body, format="json").status_code == 403
    assert not Customer.objects.exists()


def test_sales_staff_may_add_customers(sales_user, north):
    response = api_for(sales_user).post(url("api_customer_list"), {**NEW_CUSTOMER, "location": north.id}, format="json")
    assert response.status_code == 201


# --- Customer detail and update -----------------------------------------------------------------


def test_it_shows_a_customer_with_consent_and_purchases(api, customer, north, manager):
    customer.sms_marketing = True
    customer.sms_marketing_changed_at = timezone.now()
    customer.save()
    sale = sale_of(customer, location=north, sold_by=manager)

    response = api.get(url("api_customer_detail", customer.id))

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Jo Bloggs" and body["tags"] == ["VIP"] and body["locations"][0]["code"] == "NTH"
    assert body["sms_marketing"] is True and body["sms_marketing_changed_at"] is not None
    assert body["email_marketing"] is False and body["email_marketing_changed_at"] is None
    assert set(body) >= {
        "address_line1", "address_line2", "town", "postcode", "notes", "contact_name", "created_at", "updated_at",
    }  # fmt: skip
    [purchase] = body["purchases"]
    assert purchase["id"] == sale.id and purchase["car"]["id"] == sale.car_id and purchase["car"]["make"] == "Vauxhall"
    assert purchase["price"] == "9500.00" and purchase["sold_by"] == "nina" and purchase["location"]["id"] == north.id


def test_a_customer_of_another_location_does_not_exist_for_the_outsider(outsider_api, customer):
    for name in ("api_customer_detail", "api_customer_timeline", "api_customer_history", "api_customer_communications"):
        assert outsider_api.get(url(name, customer.id)).status_code == 404, name
    assert outsider_api.patch(url("api_customer_detail", customer.id), {"name": "Hacked"}, format="json").status_code == 404
    customer.refresh_from_db()
    assert customer.name == "Jo Bloggs"


def test_customer_detail_refuses_anonymous_the_workshop_and_delete(anon, api, workshop_api, customer):
    assert_unauthenticated(anon.get(url("api_customer_detail", customer.id)))
    assert workshop_api.get(url("api_customer_detail", customer.id)).status_code == 403
    assert workshop_api.patch(url("api_customer_detail", customer.id), {"name": "X"}, format="json").status_code == 403
    assert api.delete(url("api_customer_detail", customer.id)).status_code == 405
    assert api.put(url("api_customer_detail", customer.id), {"name": "X"}, format="json").status_code == 405


def test_a_missing_customer_is_404(api, db):
    assert api.get(url("api_customer_detail", 999999)).status_code == 404


def test_it_updates_some_of_a_customer(api, customer, manager):
    response = api.patch(
        url("api_customer_detail", customer.id),
        {"phone": "07911 100005", "tags": ["Fleet"], "sms_marketing": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["phone"] == "+447911100005" and body["tags"] == ["Fleet"]
    assert body["sms_marketing"] is True and body["sms_marketing_changed_at"] is not None
    assert body["name"] == "Jo Bloggs" and body["email"] == "jo@example.com"  # untouched
    customer.refresh_from_db()
    assert customer.phone == "+447911100005" and customer.history.first().history_user == manager


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"email": "jo@"}, "email"),
        ({"phone": "999"}, "phone"),
        ({"location": 1}, "location"),
        ({"merged_into": 1}, "merged_into"),
    ],
)
def test_a_bad_update_is_refused_by_field_and_changes_nothing(api, customer, changes, field):
    versions = customer.history.count()
    response = api.patch(url("api_customer_detail", customer.id), {"name": "Changed", **changes}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    customer.refresh_from_db()
    assert customer.name == "Jo Bloggs" and customer.history.count() == versions


def test_an_update_to_someone_elses_number_is_a_conflict(api, customer, north):
    other = CustomerFactory(name="Other", phone="+447911100009", locations=[north])
    response = api.patch(url("api_customer_detail", customer.id), {"phone": "+447911100009"}, format="json")
    assert response.status_code == 409
    assert response.json()["matches"] == [{"id": other.id, "name": "Other"}]
    customer.refresh_from_db()
    assert customer.phone == "+447911123456"


# --- Timeline and history ------------------------------------------------------------------------


def test_it_shows_the_timeline_newest_first(api, customer, north, manager):
    sale = sale_of(customer, location=north, sold_by=manager, days_ago=30)
    answered_survey(sale, recommend=9, satisfaction=5, at=timezone.now() - datetime.timedelta(days=20))
    Communication.objects.create(
        customer=customer,
        channel="call",
        body="Happy with the car",
        user=manager,
        occurred_at=timezone.now() - datetime.timedelta(days=10),
    )
    FollowUpFactory(customer=customer, location=north, assignee=manager, due_at=timezone.now() + datetime.timedelta(days=5))

    response = api.get(url("api_customer_timeline", customer.id))

    assert response.status_code == 200
    entries = response.json()
    assert [e["kind"] for e in entries] == ["follow_up", "communication", "survey", "purchase"]
    follow_up, call, survey, purchase = (e["payload"] for e in entries)
    assert follow_up["status"] == "open" and follow_up["assignee"] == "nina" and follow_up["note"] == "Check-in call"
    assert call["channel"] == "call" and call["body"] == "Happy with the car" and call["user"] == "nina"
    assert survey["recommend_score"] == 9 and survey["satisfaction"] == 5 and survey["car"]["id"] == sale.car_id
    assert purchase["id"] == sale.id and purchase["price"] == "9500.00"
    assert all(e["at"] for e in entries)


def test_the_timeline_refuses_anonymous_and_post(anon, api, customer):
    assert_unauthenticated(anon.get(url("api_customer_timeline", customer.id)))
    assert api.post(url("api_customer_timeline", customer.id), {}, format="json").status_code == 405


def test_it_shows_who_changed_what(api, manager, north):
    created = api.post(url("api_customer_list"), {**NEW_CUSTOMER, "location": north.id}, format="json").json()
    api.patch(url("api_customer_detail", created["id"]), {"town": "York", "tags": ["Trade"]}, format="json")

    response = api.get(url("api_customer_history", created["id"]))

    assert response.status_code == 200
    rows = response.json()
    assert rows[-1]["action"] == "created" and rows[-1]["changes"] == [] and rows[-1]["user"] == "nina"
    changes = [(c["field"], c["old"], c["new"]) for row in rows[:-1] for c in row["changes"]]
    assert changes == [
        ("tags", ["Trade", "VIP"], ["Trade"]),  # the update
        ("town", "Leeds", "York"),
        ("tags", [], ["Trade", "VIP"]),  # set just after the record was made
    ]
    assert {row["user"] for row in rows} == {"nina"}
    assert all(row["action"] == "changed" for row in rows[:-1])


def test_history_runs_a_fixed_number_of_queries(api, customer, manager):
    def count_queries() -> int:
        api.get(url("api_customer_history", customer.id))  # permissions cached
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(url("api_customer_history", customer.id))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    services.customer_update(user=manager, customer_id=customer.id, town="Leeds", tags=["A"])
    few = count_queries()
    for n in range(10):
        services.customer_update(user=manager, customer_id=customer.id, town=f"Town {n}", tags=[f"T{n}"])
    assert count_queries() == few


def test_history_refuses_anonymous_the_workshop_and_post(anon, api, workshop_api, customer):
    assert_unauthenticated(anon.get(url("api_customer_history", customer.id)))
    assert workshop_api.get(url("api_customer_history", customer.id)).status_code == 403
    assert api.post(url("api_customer_history", customer.id), {}, format="json").status_code == 405


# --- Communications -----------------------------------------------------------------------------


def test_it_logs_a_call_and_lists_it(api, customer, manager):
    response = api.post(
        url("api_customer_communications", customer.id),
        {"channel": "call", "direction": "in", "subject": "Brakes", "body": "Asked about the brakes"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["channel"] == "call" and body["direction"] == "in" and body["status"] == "logged" and body["user"] == "nina"
    logged = Communication.objects.get()
    assert logged.customer == customer and logged.user == manager

    listed = api.get(url("api_customer_communications", customer.id)).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == logged.id


def test_it_sends_an_email_about_a_purchase(api, customer, north, django_capture_on_commit_callbacks):
    sale = sale_of(customer, location=north)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            url("api_customer_communications", customer.id),
            {
                "channel": "email",
                "purpose": "service",
                "subject": "Your Corsa",
                "body": "Its first service is due.",
                "car": sale.car_id,
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["address"] == "jo@example.com" and body["car"]["id"] == sale.car_id
    assert Communication.objects.get().status == Communication.Status.QUEUED
    assert len(callbacks) == 1  # the send is queued once the row is committed


@pytest.mark.parametrize(
    "message, field",
    [
        ({"channel": "sms", "purpose": "marketing", "body": "20% off"}, "purpose"),  # no consent to SMS marketing
        ({"channel": "email", "purpose": "marketing", "subject": "Offer", "body": "20% off"}, "purpose"),
        ({"channel": "email", "subject": "Hi", "body": "Hello"}, "purpose"),  # purpose not given
        ({"channel": "email", "purpose": "marketing", "body": "No subject"}, "subject"),
        ({"channel": "sms", "purpose": "service", "body": "x" * 481}, "body"),
        ({"channel": "fax", "body": "Hello"}, "channel"),
        ({"channel": "call", "body": ""}, "body"),
        ({"channel": "call", "purpose": "service", "body": "Rang"}, "purpose"),
        ({"channel": "visit", "body": "Came in", "occurred_at": "2999-01-01T10:00:00Z"}, "occurred_at"),
        ({"channel": "note", "body": "About a car", "car": 999999}, "car"),
    ],
)
def test_a_message_that_may_not_go_is_refused_by_field(api, customer, north, message, field):
    customer.email_marketing = False
    customer.save()
    sale_of(customer, location=north)  # so service messages have something to be about
    response = api.post(url("api_customer_communications", customer.id), message, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Communication.objects.exists()


def test_marketing_goes_with_consent(api, customer):
    customer.sms_marketing = True
    customer.save()
    message = {"channel": "sms", "purpose": "marketing", "body": "20% off"}
    response = api.post(url("api_customer_communications", customer.id), message, format="json")
    assert response.status_code == 201
    assert response.json()["address"] == "+447911123456"


def test_communications_refuse_the_outsider_anonymous_the_workshop_and_delete(anon, api, outsider_api, workshop_api, customer):
    note = {"channel": "note", "body": "Prefers calls"}
    assert outsider_api.post(url("api_customer_communications", customer.id), note, format="json").status_code == 404
    assert_unauthenticated(anon.post(url("api_customer_communications", customer.id), note, format="json"))
    assert workshop_api.post(url("api_customer_communications", customer.id), note, format="json").status_code == 403
    assert api.delete(url("api_customer_communications", customer.id)).status_code == 405
    assert not Communication.objects.exists()


# --- Follow-ups -----------------------------------------------------------------------------------


@pytest.fixture
def follow_up(customer, north, manager):
    return FollowUpFactory(customer=customer, location=north, assignee=manager)


def test_it_lists_the_follow_ups_of_the_users_locations(api, follow_up, customer, north, south, sales_user, manager):
    soon = timezone.now() + datetime.timedelta(days=1)
    theirs = FollowUpFactory(customer=customer, location=north, assignee=sales_user, due_at=soon)
    done = FollowUpFactory(
        customer=customer, location=north, assignee=manager, status="done", done_at=timezone.now(), outcome="spoke"
    )
    FollowUpFactory(customer=CustomerFactory(locations=[south]), location=south, assignee=manager)

    def ids(**params):
        response = api.get(url("api_follow_up_list"), params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [theirs.id, follow_up.id]  # open, soonest first
    assert ids(mine=1) == [follow_up.id]
    assert ids(status="done") == [done.id]
    assert set(ids(status="")) == {theirs.id, follow_up.id, done.id}
    assert ids(location=north.id) == [theirs.id, follow_up.id]
    row = api.get(url("api_follow_up_list")).json()["results"][1]
    assert row["customer"] == {"id": customer.id, "name": "Jo Bloggs"} and row["location"]["id"] == north.id
    assert row["assignee"]["username"] == "nina" and row["status"] == "open" and row["is_overdue"] is False


def test_the_follow_up_list_refuses_bad_filters_and_other_locations(api, follow_up, south):
    assert "status" in api.get(url("api_follow_up_list"), {"status": "lost"}).json()
    assert api.get(url("api_follow_up_list"), {"mine": "perhaps"}).status_code == 400
    assert api.get(url("api_follow_up_list"), {"location": south.id}).status_code == 404


def test_the_follow_up_list_refuses_anonymous_the_workshop_and_put(anon, api, workshop_api, follow_up):
    assert_unauthenticated(anon.get(url("api_follow_up_list")))
    assert workshop_api.get(url("api_follow_up_list")).status_code == 403
    assert api.put(url("api_follow_up_list"), {}, format="json").status_code == 405


def test_the_follow_up_list_runs_a_fixed_number_of_queries(django_assert_num_queries, manager, north):
    def add_follow_ups(n):
        for _ in range(n):
            customer = CustomerFactory(locations=[north])
            sale = sale_of(customer, location=north)
            FollowUpFactory(customer=customer, location=north, assignee=manager, car=sale.car)

    def get_list(client):
        response = client.get(url("api_follow_up_list"))
        assert response.status_code == 200
        return response.json()["count"]

    # The user's permissions (2), the page's count and rows (customer, car, assignee
    # and location joined).
    add_follow_ups(3)
    client = api_for(User.objects.get(pk=manager.pk))
    with django_assert_num_queries(4):
        assert get_list(client) == 3
    add_follow_ups(17)
    client = api_for(User.objects.get(pk=manager.pk))
    with django_assert_num_queries(4):
        assert get_list(client) == 20


def test_it_makes_a_follow_up(api, customer, manager, sales_user):
    due = timezone.now() + datetime.timedelta(days=3)
    response = api.post(
        url("api_follow_up_list"),
        {"customer": customer.id, "assignee": sales_user.id, "due_at": due.isoformat(), "note": " Ask about finance "},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    follow_up = FollowUp.objects.get()
    assert body["id"] == follow_up.id and body["assignee"]["username"] == "sal" and body["note"] == "Ask about finance"
    assert follow_up.created_by == manager and follow_up.due_at == due


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"due_at": "2001-01-01T10:00:00Z"}, "due_at"),
        ({"due_at": "tomorrow"}, "due_at"),
        ({"assignee": None}, "assignee"),
        ({"car": 999999}, "car"),
    ],
)
def test_a_bad_follow_up_is_refused_by_field(api, customer, manager, changes, field):
    body = {"customer": customer.id, "assignee": manager.id, "due_at": tomorrow()}
    response = api.post(url("api_follow_up_list"), {**body, **changes}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not FollowUp.objects.exists()


def test_a_follow_up_for_someone_outside_the_customers_locations_is_refused(api, customer, outsider):
    body = {"customer": customer.id, "assignee": outsider.id, "due_at": tomorrow()}
    response = api.post(url("api_follow_up_list"), body, format="json")
    assert response.status_code == 400 and "assignee" in response.json()


def test_making_a_follow_up_refuses_the_outsider_anonymous_and_the_workshop(
    anon, outsider_api, workshop_api, customer, outsider, manager
):
    due = tomorrow()
    assert outsider_api.post(
        url("api_follow_up_list"), {"customer": customer.id, "assignee": outsider.id, "due_at": due}, format="json"
    ).status_code == 404
    body = {"customer": customer.id, "assignee": manager.id, "due_at": due}
    assert_unauthenticated(anon.post(url("api_follow_up_list"), body, format="json"))
    assert workshop_api.post(url("api_follow_up_list"), body, format="json").status_code == 403
    assert not FollowUp.objects.exists()


def test_it_completes_a_follow_up_once(api, follow_up, manager):
    response = api.post(url("api_follow_up_complete", follow_up.id), {"outcome": "spoke", "note": "All well"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "done" and response.json()["outcome"] == "spoke"
    follow_up.refresh_from_db()
    assert follow_up.done_by == manager and follow_up.outcome_note == "All well"

    again = api.post(url("api_follow_up_complete", follow_up.id), {"outcome": "spoke"}, format="json")
    assert again.status_code == 409 and "status" in again.json()


def test_it_snoozes_and_cancels_a_follow_up(api, follow_up):
    until = timezone.now() + datetime.timedelta(days=9)
    response = api.post(url("api_follow_up_snooze", follow_up.id), {"until": until.isoformat()}, format="json")
    assert response.status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.due_at == until

    response = api.post(url("api_follow_up_cancel", follow_up.id), {"note": "Sold the car on"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert api.post(url("api_follow_up_snooze", follow_up.id), {"until": until.isoformat()}, format="json").status_code == 409


@pytest.mark.parametrize(
    "name, body, field",
    [
        ("api_follow_up_complete", {"outcome": "great"}, "outcome"),
        ("api_follow_up_complete", {}, "outcome"),
        ("api_follow_up_snooze", {"until": "2001-01-01T10:00:00Z"}, "until"),
        ("api_follow_up_snooze", {"until": "2999-01-01T10:00:00Z"}, "until"),
        ("api_follow_up_snooze", {}, "until"),
    ],
)
def test_a_bad_follow_up_action_is_refused_by_field(api, follow_up, name, body, field):
    due = follow_up.due_at
    response = api.post(url(name, follow_up.id), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    follow_up.refresh_from_db()
    assert follow_up.status == "open" and follow_up.due_at == due


@pytest.mark.parametrize("name", ["api_follow_up_complete", "api_follow_up_snooze", "api_follow_up_cancel"])
def test_follow_up_actions_refuse_the_outsider_anonymous_the_workshop_and_get(
    anon, api, outsider_api, workshop_api, follow_up, name
):
    # The outsider sends a bad body too: the follow-up's existence is not told by a 400.
    assert outsider_api.post(url(name, follow_up.id), {}, format="json").status_code == 404
    assert_unauthenticated(anon.post(url(name, follow_up.id), {}, format="json"))
    assert workshop_api.post(url(name, follow_up.id), {}, format="json").status_code == 403
    assert api.get(url(name, follow_up.id)).status_code == 405
    follow_up.refresh_from_db()
    assert follow_up.status == "open"


# --- Satisfaction ---------------------------------------------------------------------------------


@pytest.fixture
def answers(north, south, manager, sales_user, outsider):
    """North: a promoter sold by nina, a detractor sold by sal; South: a passive."""
    for location, seller, recommend, satisfaction in [
        (north, manager, 10, 5),
        (north, sales_user, 3, 2),
        (south, outsider, 8, 4),
    ]:
        sale = sale_of(CustomerFactory(locations=[location]), location=location, sold_by=seller)
        answered_survey(sale, recommend=recommend, satisfaction=satisfaction)


def test_it_shows_the_satisfaction_figures_of_the_users_locations(api, answers, north, manager, sales_user):
    response = api.get(url("api_satisfaction"))

    assert response.status_code == 200
    body = response.json()
    overall = body["overall"]
    assert overall["answers"] == 2 and overall["promoters"] == 1 and overall["detractors"] == 1 and overall["passives"] == 0
    assert overall["nps"] == 0 and overall["average_satisfaction"] == "3.50"
    assert [(row["location_id"], row["answers"]) for row in body["by_location"]] == [(north.id, 2)]
    by_person = {row["salesperson_id"]: row["nps"] for row in body["by_salesperson"]}
    assert by_person == {manager.id: 100, sales_user.id: -100}
    [month] = body["by_month"]
    assert month["month"] == timezone.localdate().replace(day=1).isoformat() and month["answers"] == 2


def test_satisfaction_filters_by_location_and_dates(admin_user, answers, south):
    client = api_for(admin_user)
    assert client.get(url("api_satisfaction")).json()["overall"]["answers"] == 3
    assert client.get(url("api_satisfaction"), {"location": south.id}).json()["overall"]["nps"] == 0
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    empty = client.get(url("api_satisfaction"), {"from": tomorrow.isoformat()}).json()
    assert empty["overall"]["answers"] == 0 and empty["overall"]["nps"] is None and empty["by_month"] == []
    today = timezone.localdate().isoformat()
    assert client.get(url("api_satisfaction"), {"from": today, "to": today}).json()["overall"]["answers"] == 3


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2025-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2025-06-01", "to": "2025-05-31"}, "to"),
        ({"location": "north"}, "location"),
    ],
)
def test_satisfaction_refuses_filters_it_cannot_read(api, params, field, db):
    response = api.get(url("api_satisfaction"), params)
    assert response.status_code == 400
    assert field in response.json()


def test_satisfaction_refuses_other_locations_anonymous_the_workshop_and_post(anon, api, workshop_api, south):
    assert api.get(url("api_satisfaction"), {"location": south.id}).status_code == 404
    assert_unauthenticated(anon.get(url("api_satisfaction")))
    assert workshop_api.get(url("api_satisfaction")).status_code == 403
    assert api.post(url("api_satisfaction"), {}, format="json").status_code == 405


# --- Selling a car to a customer (inventory's sale endpoint) --------------------------------------


@pytest.fixture
def listed_car(north):
    return CarFactory(
        location=north,
        phase=Phase.LISTED,
        purchased_on=timezone.localdate() - datetime.timedelta(days=30),
        asking_price=Decimal("9500"),
    )


def test_a_sale_can_be_to_a_customer_on_file(api, listed_car, customer, manager):
    body = {"sold_on": timezone.localdate().isoformat(), "price": "9400.00", "customer": customer.id}
    response = api.post(reverse("api_car_sale", args=[listed_car.id]), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["sale"]["customer"] == customer.id
    assert response.json()["sale"]["buyer_name"] == "Jo Bloggs"
    sale = Sale.objects.get()
    assert sale.customer == customer and sale.sold_by == manager
    assert api.get(url("api_customer_detail", customer.id)).json()["purchases"][0]["id"] == sale.id


def test_a_sale_without_a_customer_still_works(api, listed_car):
    body = {"sold_on": timezone.localdate().isoformat(), "price": "9400.00", "buyer_name": "Cash buyer"}
    response = api.post(reverse("api_car_sale", args=[listed_car.id]), body, format="json")
    assert response.status_code == 201
    assert response.json()["sale"]["customer"] is None and response.json()["sale"]["buyer_name"] == "Cash buyer"


@pytest.mark.parametrize("which", ["other location", "missing", "not a number"])
def test_a_sale_to_a_customer_the_user_may_not_see_is_refused(api, listed_car, south, which):
    customer_id = {
        "other location": lambda: CustomerFactory(locations=[south]).id,
        "missing": lambda: 999999,
        "not a number": lambda: "jo",
    }[which]()
    body = {"sold_on": timezone.localdate().isoformat(), "price": "9400.00", "customer": customer_id}
    response = api.post(reverse("api_car_sale", args=[listed_car.id]), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["customer"]
    assert not Sale.objects.exists()
    assert Car.objects.get(pk=listed_car.pk).phase == Phase.LISTED


# --- Schema ---------------------------------------------------------------------------------------


def test_the_schema_validates_without_warnings_and_has_customer_care(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/customers/{customer_id}/history/" in schema
    assert "/api/v1/follow-ups/{follow_up_id}/snooze/" in schema
    assert "/api/v1/satisfaction/" in schema
