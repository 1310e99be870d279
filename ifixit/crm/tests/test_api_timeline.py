"""REST API v1 of customer care, a customer's story: the timeline newest first, and the
audit history of who changed what (with a fixed number of queries); anonymous (401), a role
without customer care (403) and the wrong method (405)."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ifixit.crm import services
from ifixit.crm.models import Communication
from ifixit.crm.tests.conftest import NEW_CUSTOMER, FollowUpFactory, answered_survey, sale_of, url


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
    FollowUpFactory(
        customer=customer, location=north, assignee=manager, due_at=timezone.now() + datetime.timedelta(days=5)
    )

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


def test_the_timeline_refuses_anonymous_and_post(anon, api, customer, assert_unauthenticated):
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


def test_history_refuses_anonymous_the_workshop_and_post(anon, api, workshop_api, customer, assert_unauthenticated):
    assert_unauthenticated(anon.get(url("api_customer_history", customer.id)))
    assert workshop_api.get(url("api_customer_history", customer.id)).status_code == 403
    assert api.post(url("api_customer_history", customer.id), {}, format="json").status_code == 405
