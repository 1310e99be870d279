"""REST API v1 of customer care, its customers: the list (filters, scoping, fixed queries),
adding one (duplicates as a 409, bad input by field with nothing written) and a customer's
detail and update; for the happy path, anonymous (401), a user of another location (404), a
role without customer care (403) and the wrong method (405)."""

import pytest
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.crm.models import Communication, Customer, Tag
from ifixit.crm.tests.conftest import NEW_CUSTOMER, CustomerFactory, sale_of, url

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
    jo = CustomerFactory(
        name="Jo Bloggs", phone="+447911123456", locations=[north], tags=["Trade"], email_marketing=True
    )
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
    "params, field",
    [({"marketing": "fax"}, "marketing"), ({"location": "north"}, "location"), ({"repeat": "maybe"}, "repeat")],
)
def test_the_list_refuses_filters_it_cannot_read(api, customer, params, field):
    response = api.get(url("api_customer_list"), params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_list_refuses_a_location_the_user_may_not_see(api, customer, south):
    assert api.get(url("api_customer_list"), {"location": south.id}).status_code == 404


def test_the_list_refuses_anonymous_the_workshop_and_put(anon, api, workshop_api, customer, assert_unauthenticated):
    assert_unauthenticated(anon.get(url("api_customer_list")))
    assert workshop_api.get(url("api_customer_list")).status_code == 403
    assert api.put(url("api_customer_list"), {}, format="json").status_code == 405


def test_an_admin_sees_every_customer(admin_user, customer, south, api_for):
    CustomerFactory(locations=[south])
    assert api_for(admin_user).get(url("api_customer_list")).json()["count"] == 2


def test_the_list_runs_a_fixed_number_of_queries(django_assert_num_queries, manager, north, south, api_for):
    def add_customers(n):
        for _ in range(n):
            customer = CustomerFactory(locations=[north, south], tags=["VIP", "Trade"])
            sale_of(customer, location=north)
            Communication.objects.create(customer=customer, channel="note", body="Met")

    def get_list(client):
        response = client.get(url("api_customer_list"))
        assert response.status_code == 200
        return response.json()["count"]

    # The page's count and rows, their tags and their locations; the user's permissions come
    # from the cache once a request has read them (ifixit.accounts.permissions).
    add_customers(3)
    get_list(api_for(User.objects.get(pk=manager.pk)))
    client = api_for(User.objects.get(pk=manager.pk))
    with django_assert_num_queries(4):
        assert get_list(client) == 3
    add_customers(17)
    client = api_for(User.objects.get(pk=manager.pk))
    with django_assert_num_queries(4):
        assert get_list(client) == 20


# --- Customer create -------------------------------------------------------------------------


def test_it_adds_a_customer(api, manager, north):
    response = api.post(url("api_customer_list"), {**NEW_CUSTOMER, "location": north.id}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    customer = Customer.objects.get()
    assert body["id"] == customer.id and body["name"] == "Alex Smith"
    assert (
        body["email"] == "alex.smith@example.com" and body["phone"] == "+447911100001" and body["postcode"] == "LS1 1AA"
    )
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


def test_adding_a_customer_refuses_anonymous_and_the_workshop(anon, workshop_api, north, assert_unauthenticated):
    body = {**NEW_CUSTOMER, "location": north.id}
    assert_unauthenticated(anon.post(url("api_customer_list"), body, format="json"))
    assert workshop_api.post(url("api_customer_list"), body, format="json").status_code == 403
    assert not Customer.objects.exists()


def test_sales_staff_may_add_customers(sales_user, north, api_for):
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
    assert (
        outsider_api.patch(url("api_customer_detail", customer.id), {"name": "Hacked"}, format="json").status_code
        == 404
    )
    customer.refresh_from_db()
    assert customer.name == "Jo Bloggs"


def test_customer_detail_refuses_anonymous_the_workshop_and_delete(
    anon, api, workshop_api, customer, assert_unauthenticated
):
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
