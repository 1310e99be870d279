"""REST API v1 of customer care, satisfaction figures: NPS and average satisfaction of
the user's locations, filtered by location and dates; filters it cannot read (400), another
location (404), anonymous (401), the workshop (403) and the wrong method (405)."""

import datetime

import pytest
from django.utils import timezone

from ifixit.crm.tests.conftest import CustomerFactory, answered_survey, sale_of, url


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
    assert (
        overall["answers"] == 2
        and overall["promoters"] == 1
        and overall["detractors"] == 1
        and overall["passives"] == 0
    )
    assert overall["nps"] == 0 and overall["average_satisfaction"] == "3.50"
    assert [(row["location_id"], row["answers"]) for row in body["by_location"]] == [(north.id, 2)]
    by_person = {row["salesperson_id"]: row["nps"] for row in body["by_salesperson"]}
    assert by_person == {manager.id: 100, sales_user.id: -100}
    [month] = body["by_month"]
    assert month["month"] == timezone.localdate().replace(day=1).isoformat() and month["answers"] == 2


def test_satisfaction_filters_by_location_and_dates(admin_user, answers, south, api_for):
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


def test_satisfaction_refuses_other_locations_anonymous_the_workshop_and_post(
    anon, api, workshop_api, south, assert_unauthenticated
):
    assert api.get(url("api_satisfaction"), {"location": south.id}).status_code == 404
    assert_unauthenticated(anon.get(url("api_satisfaction")))
    assert workshop_api.get(url("api_satisfaction")).status_code == 403
    assert api.post(url("api_satisfaction"), {}, format="json").status_code == 405
