"""REST API v1 of customer care, follow-ups: the list (filters, scoping, fixed queries),
making one, and completing, snoozing and cancelling it (a stale one is a 409); bad input by
field, the outsider (404), anonymous (401), the workshop (403) and the wrong method (405)."""

import datetime

import pytest
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.crm.models import FollowUp
from ifixit.crm.tests.conftest import CustomerFactory, FollowUpFactory, sale_of, url


def tomorrow() -> str:
    return (timezone.now() + datetime.timedelta(days=1)).isoformat()


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


def test_the_follow_up_list_refuses_anonymous_the_workshop_and_put(
    anon, api, workshop_api, follow_up, assert_unauthenticated
):
    assert_unauthenticated(anon.get(url("api_follow_up_list")))
    assert workshop_api.get(url("api_follow_up_list")).status_code == 403
    assert api.put(url("api_follow_up_list"), {}, format="json").status_code == 405


def test_the_follow_up_list_runs_a_fixed_number_of_queries(django_assert_num_queries, manager, north, api_for):
    def add_follow_ups(n):
        for _ in range(n):
            customer = CustomerFactory(locations=[north])
            sale = sale_of(customer, location=north)
            FollowUpFactory(customer=customer, location=north, assignee=manager, car=sale.car)

    def get_list(client):
        response = client.get(url("api_follow_up_list"))
        assert response.status_code == 200
        return response.json()["count"]

    # The page's count and rows (customer, car, assignee and location joined); the first request
    # caches the user's permissions: ifixit/accounts/permissions.py.
    add_follow_ups(3)
    get_list(api_for(User.objects.get(pk=manager.pk)))
    client = api_for(User.objects.get(pk=manager.pk))
    with django_assert_num_queries(2):
        assert get_list(client) == 3
    add_follow_ups(17)
    client = api_for(User.objects.get(pk=manager.pk))
    with django_assert_num_queries(2):
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
    anon, outsider_api, workshop_api, customer, outsider, manager, assert_unauthenticated
):
    due = tomorrow()
    assert (
        outsider_api.post(
            url("api_follow_up_list"), {"customer": customer.id, "assignee": outsider.id, "due_at": due}, format="json"
        ).status_code
        == 404
    )
    body = {"customer": customer.id, "assignee": manager.id, "due_at": due}
    assert_unauthenticated(anon.post(url("api_follow_up_list"), body, format="json"))
    assert workshop_api.post(url("api_follow_up_list"), body, format="json").status_code == 403
    assert not FollowUp.objects.exists()


def test_it_completes_a_follow_up_once(api, follow_up, manager):
    response = api.post(
        url("api_follow_up_complete", follow_up.id), {"outcome": "spoke", "note": "All well"}, format="json"
    )
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
    assert (
        api.post(url("api_follow_up_snooze", follow_up.id), {"until": until.isoformat()}, format="json").status_code
        == 409
    )


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
    anon, api, outsider_api, workshop_api, follow_up, name, assert_unauthenticated
):
    # The outsider sends a bad body too: the follow-up's existence is not told by a 400.
    assert outsider_api.post(url(name, follow_up.id), {}, format="json").status_code == 404
    assert_unauthenticated(anon.post(url(name, follow_up.id), {}, format="json"))
    assert workshop_api.post(url(name, follow_up.id), {}, format="json").status_code == 403
    assert api.get(url(name, follow_up.id)).status_code == 405
    follow_up.refresh_from_db()
    assert follow_up.status == "open"
