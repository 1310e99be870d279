"""Transfers between locations: the workflow, its refusals, concurrency, pages, PDF, API."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ifixit.inventory import services
from ifixit.inventory.models import Car, Phase, Transfer
from ifixit.notifications.models import Notification
from ifixit.testing.factories import CarFactory, UserFactory

TODAY = timezone.localdate


@pytest.fixture
def both_manager(north, south):
    return UserFactory(username="bo", role="manager", locations=[north, south])


@pytest.fixture
def south_workshop(south):
    return UserFactory(username="sue", role="workshop", locations=[south])


@pytest.fixture
def car(north):
    return CarFactory(location=north, phase=Phase.READY, make="Ford", model="Focus", transport_cost=Decimal(100))


def request(user, car, to, **kw):
    return services.transfer_request(
        user=user,
        car_id=car.pk,
        to_location_id=to.pk,
        reason=kw.pop("reason", "Sells faster there"),
        planned_on=kw.pop("planned_on", TODAY()),
        transport_cost=kw.pop("transport_cost", Decimal(120)),
        **kw,
    )


# --- the workflow --------------------------------------------------------------------------


def test_request_approve_dispatch_receive(sales_user, manager, outsider, car, north, south):
    transfer = request(sales_user, car, south)
    assert transfer.status == "requested" and transfer.from_location == north
    assert Notification.objects.filter(recipient=manager, kind="transfer").count() == 1  # the sender's manager is asked

    services.transfer_approve(user=manager, transfer_id=transfer.pk)
    services.transfer_dispatch(user=manager, transfer_id=transfer.pk)
    car.refresh_from_db()
    assert car.phase == Phase.IN_TRANSIT and car.location == north  # location changes only on receipt
    assert Notification.objects.filter(recipient=outsider, kind="transfer").count() == 1  # the receiver is told

    services.transfer_receive(user=outsider, transfer_id=transfer.pk)
    car.refresh_from_db()
    transfer.refresh_from_db()
    assert car.location == south and car.phase == Phase.READY  # back to the phase it left in
    assert car.transport_cost == Decimal("220.00")  # the move is a cost of the car
    assert transfer.status == "received"
    assert (transfer.decided_by, transfer.dispatched_by, transfer.received_by) == (manager, manager, outsider)
    notes = list(car.phase_changes.values_list("note", flat=True)[:2])
    assert notes == [
        f"Received at South Yard (transfer #{transfer.pk})",
        f"Dispatched to South Yard (transfer #{transfer.pk})",
    ]


def test_reject_needs_a_reason_and_tells_the_requester(sales_user, manager, car, south):
    transfer = request(sales_user, car, south)
    with pytest.raises(ValidationError) as caught:
        services.transfer_reject(user=manager, transfer_id=transfer.pk, note=" ")
    assert "note" in caught.value.message_dict
    services.transfer_reject(user=manager, transfer_id=transfer.pk, note="Needs MOT first")
    transfer.refresh_from_db()
    assert transfer.status == "rejected" and transfer.note == "Needs MOT first"
    assert Notification.objects.filter(
        recipient=sales_user, kind="transfer", title__startswith="Transfer rejected"
    ).exists()


def test_either_side_can_cancel_before_dispatch_but_not_after(sales_user, manager, outsider, car, south):
    transfer = request(sales_user, car, south)
    services.transfer_cancel(user=outsider, transfer_id=transfer.pk, note="No room")
    assert Transfer.objects.get(pk=transfer.pk).status == "cancelled"

    second = request(sales_user, car, south)
    services.transfer_approve(user=manager, transfer_id=second.pk)
    services.transfer_dispatch(user=manager, transfer_id=second.pk)
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        services.transfer_cancel(user=manager, transfer_id=second.pk)


def test_only_the_senders_manager_approves_and_only_the_receiver_receives(
    sales_user, manager, outsider, south_workshop, car, south
):
    transfer = request(sales_user, car, south)
    with pytest.raises(PermissionDenied):
        services.transfer_approve(user=outsider, transfer_id=transfer.pk)  # a manager, but of the receiving side
    with pytest.raises(PermissionDenied):
        services.transfer_approve(user=sales_user, transfer_id=transfer.pk)  # the sender's, but not a manager
    services.transfer_approve(user=manager, transfer_id=transfer.pk)
    with pytest.raises(PermissionDenied):
        services.transfer_dispatch(user=outsider, transfer_id=transfer.pk)
    services.transfer_dispatch(user=manager, transfer_id=transfer.pk)
    with pytest.raises(PermissionDenied):
        services.transfer_receive(user=manager, transfer_id=transfer.pk)
    services.transfer_receive(user=south_workshop, transfer_id=transfer.pk)


def test_a_stranger_cannot_reach_the_transfer(manager, sales_user, car, south, db):
    third = UserFactory(username="tom", role="manager", locations=[])
    transfer = request(sales_user, car, south)
    with pytest.raises(Transfer.DoesNotExist):
        services.transfer_approve(user=third, transfer_id=transfer.pk)


# --- refusals --------------------------------------------------------------------------------


def test_refusals_say_why_and_write_nothing(sales_user, manager, car, north, south):
    sold = CarFactory(location=north, phase=Phase.SOLD)
    on_road = CarFactory(location=north, phase=Phase.IN_TRANSIT)
    closed = CarFactory(location=north, phase=Phase.READY)
    from ifixit.testing.factories import LocationFactory

    closed_site = LocationFactory(name="Closed Yard", code="CLS", is_active=False)
    cases = [
        (sold, south, {}, "car", "A sold car cannot be transferred."),
        (on_road, south, {}, "car", "already in transit"),
        (car, north, {}, "to_location", "already at North Yard"),
        (closed, closed_site, {}, "to_location", "not active"),
        (car, south, {"reason": ""}, "reason", "Say why"),
        (car, south, {"planned_on": TODAY() - timedelta(days=1)}, "planned_on", "past"),
        (car, south, {"transport_cost": Decimal(-5)}, "transport_cost", "negative"),
    ]
    for target, to, kw, field, message in cases:
        with pytest.raises(ValidationError) as caught:
            request(sales_user, target, to, **kw)
        assert message in " ".join(caught.value.message_dict[field]), (field, caught.value.message_dict)
    assert not Transfer.objects.exists()

    request(sales_user, car, south)
    with pytest.raises(ValidationError, match="already has an open transfer"):
        request(sales_user, car, south)
    assert Transfer.objects.count() == 1


def test_a_car_on_the_road_cannot_change_phase_until_received(manager, sales_user, car, south):
    transfer = request(sales_user, car, south)
    services.transfer_approve(user=manager, transfer_id=transfer.pk)
    services.transfer_dispatch(user=manager, transfer_id=transfer.pk)
    with pytest.raises(ValidationError, match="on its way to South Yard"):
        services.car_change_phase(user=manager, car_id=car.pk, to_phase=Phase.READY)


def test_selling_a_car_cancels_its_pending_transfer(manager, sales_user, north, south):
    listed = CarFactory(location=north, phase=Phase.LISTED)
    transfer = request(sales_user, listed, south)
    services.sale_record(user=manager, car_id=listed.pk, sold_on=TODAY(), price=Decimal(9000))
    transfer.refresh_from_db()
    assert transfer.status == "cancelled" and transfer.note == "The car was sold."


def test_a_decided_transfer_cannot_be_decided_again(sales_user, manager, car, south):
    transfer = request(sales_user, car, south)
    services.transfer_approve(user=manager, transfer_id=transfer.pk)
    with pytest.raises(ValidationError) as caught:
        services.transfer_reject(user=manager, transfer_id=transfer.pk, note="Changed my mind")
    assert caught.value.error_dict["status"][0].code == "conflict"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "first, second, start_at",
    [
        ("transfer_approve", "transfer_approve", "requested"),
        ("transfer_approve", "transfer_reject", "requested"),
        ("transfer_dispatch", "transfer_dispatch", "approved"),
        ("transfer_dispatch", "transfer_cancel", "approved"),
    ],
)
def test_two_people_acting_on_one_transfer_at_once_leave_one_outcome(north, south, first, second, start_at):
    boss = UserFactory(username="boss", role="manager", locations=[north])
    deputy = UserFactory(username="deputy", role="manager", locations=[north])
    car = CarFactory(location=north, phase=Phase.READY)
    transfer = request(boss, car, south)
    if start_at == "approved":
        services.transfer_approve(user=boss, transfer_id=transfer.pk)
    start = threading.Barrier(2)
    outcomes = []

    def act(name, user):
        try:
            start.wait(timeout=10)
            extra = {"note": "Not this week"} if name == "transfer_reject" else {}
            getattr(services, name)(user=user, transfer_id=transfer.pk, **extra)
            outcomes.append("done")
        except ValidationError as exc:
            outcomes.append(exc.error_dict["status"][0].code)
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(first, boss)), threading.Thread(target=act, args=(second, deputy))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "done"]
    transfer.refresh_from_db()
    car.refresh_from_db()
    # Whichever won, the transfer and the car agree: never half of each.
    expected_phase = Phase.IN_TRANSIT if transfer.status == "dispatched" else Phase.READY
    assert transfer.status in {"approved", "rejected", "cancelled", "dispatched"} and car.phase == expected_phase
    assert car.phase_changes.count() == (2 if transfer.status == "dispatched" else 1)


# --- pages ---------------------------------------------------------------------------------------


def test_the_car_page_requests_a_transfer_and_shows_its_history(client, sales_user, car, south):
    client.force_login(sales_user)
    page = client.get(reverse("car_detail", args=[car.pk])).content.decode()
    assert "Request a transfer" in page and "South Yard" in page and "Never moved" in page
    response = client.post(
        reverse("transfer_request", args=[car.pk]),
        {
            "to_location": south.pk,
            "reason": "Buyer waiting in Sheffield",
            "planned_on": TODAY().isoformat(),
            "transport_cost": "95",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("car_detail", args=[car.pk])).content.decode()
    assert "NTH → STH" in page and "Buyer waiting in Sheffield" in page


def test_a_bad_transfer_request_shows_the_reason_beside_the_field(client, sales_user, car, south):
    client.force_login(sales_user)
    response = client.post(
        reverse("transfer_request", args=[car.pk]),
        {
            "to_location": south.pk,
            "reason": "x",
            "planned_on": (TODAY() - timedelta(days=3)).isoformat(),
            "transport_cost": "0",
        },
    )
    assert response.status_code == 400 and "cannot be in the past" in response.content.decode()
    assert not Transfer.objects.exists()


def test_the_receiving_side_sees_the_transfer_but_not_the_car_page(client, manager, outsider, sales_user, car, south):
    transfer = request(sales_user, car, south)
    client.force_login(outsider)
    assert client.get(reverse("car_detail", args=[car.pk])).status_code == 404
    page = client.get(reverse("transfer_detail", args=[transfer.pk])).content.decode()
    assert car.vin in page and ">Cancel</button>" in page and ">Approve</button>" not in page
    assert car.make in client.get(reverse("transfer_list")).content.decode()


def test_actions_through_the_page(client, manager, outsider, sales_user, car, south):
    transfer = request(sales_user, car, south)
    client.force_login(manager)
    html = client.get(reverse("transfer_detail", args=[transfer.pk])).content.decode()
    assert ">Approve</button>" in html and ">Reject</button>" in html
    assert client.post(reverse("transfer_action", args=[transfer.pk, "approve"])).status_code == 302
    assert client.post(reverse("transfer_action", args=[transfer.pk, "dispatch"])).status_code == 302
    response = client.post(reverse("transfer_action", args=[transfer.pk, "dispatch"]), follow=True)
    assert "cannot be dispatched" in response.content.decode()  # a second click is told, not obeyed
    client.force_login(outsider)
    client.post(reverse("transfer_action", args=[transfer.pk, "receive"]))
    assert Car.objects.get(pk=car.pk).location == south


def test_transfer_pages_refuse_strangers_anonymous_and_wrong_methods(client, manager, sales_user, car, south, db):
    transfer = request(sales_user, car, south)
    stranger = UserFactory(username="strange", role="manager", locations=[])
    client.force_login(stranger)
    assert client.get(reverse("transfer_detail", args=[transfer.pk])).status_code == 404
    assert client.post(reverse("transfer_action", args=[transfer.pk, "cancel"])).status_code == 404
    assert "No transfers" in client.get(reverse("transfer_list")).content.decode()
    client.logout()
    assert client.get(reverse("transfer_list")).status_code == 302
    client.force_login(manager)
    assert client.get(reverse("transfer_action", args=[transfer.pk, "approve"])).status_code == 405
    assert client.post(reverse("transfer_action", args=[transfer.pk, "explode"])).status_code == 404
    assert client.get(reverse("transfer_request", args=[car.pk])).status_code == 405


def test_the_transfer_list_runs_a_fixed_number_of_queries(
    client, manager, sales_user, north, south, django_assert_max_num_queries
):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)

    def count():
        with CaptureQueriesContext(conn) as ctx:
            assert client.get(reverse("transfer_list") + "?status=").status_code == 200
        return len(ctx)

    request(sales_user, CarFactory(location=north, phase=Phase.READY), south)
    count()  # the first request caches the user's permissions: ifixit/accounts/permissions.py
    few = count()
    for _ in range(15):
        request(sales_user, CarFactory(location=north, phase=Phase.READY), south)
    assert count() == few


def test_the_movement_note_is_a_pdf_once_approved(client, manager, sales_user, car, south):
    transfer = request(sales_user, car, south)
    client.force_login(manager)
    assert client.get(reverse("transfer_note", args=[transfer.pk])).status_code == 404  # not approved yet
    services.transfer_approve(user=manager, transfer_id=transfer.pk)
    response = client.get(reverse("transfer_note", args=[transfer.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF-") and len(body) > 1500


# --- API -----------------------------------------------------------------------------------------


def test_the_api_runs_the_whole_workflow(manager, outsider, sales_user, car, south, api_for):
    body = {
        "car_id": car.pk,
        "to_location_id": south.pk,
        "reason": "Demand",
        "planned_on": TODAY().isoformat(),
        "transport_cost": "80.00",
    }
    created = api_for(sales_user).post("/api/v1/transfers/", body, format="json")
    assert created.status_code == 201, created.json()
    tid = created.json()["id"]
    assert created.json()["status"] == "requested" and created.json()["from_location"]["code"] == "NTH"
    assert api_for(outsider).post(f"/api/v1/transfers/{tid}/approve/").status_code == 403
    assert api_for(manager).post(f"/api/v1/transfers/{tid}/approve/").json()["status"] == "approved"
    assert api_for(manager).post(f"/api/v1/transfers/{tid}/approve/").status_code == 409
    assert api_for(manager).post(f"/api/v1/transfers/{tid}/dispatch/").json()["status"] == "dispatched"
    assert api_for(outsider).post(f"/api/v1/transfers/{tid}/receive/").json()["status"] == "received"
    assert Car.objects.get(pk=car.pk).location == south


def test_the_api_refuses_bad_input_and_strangers(manager, sales_user, car, north, south, db, api_for, anon):
    bad = {"car_id": car.pk, "to_location_id": north.pk, "reason": "x", "planned_on": TODAY().isoformat()}
    response = api_for(sales_user).post("/api/v1/transfers/", bad, format="json")
    assert response.status_code == 400 and "already at North Yard" in response.json()["to_location"][0]
    stranger = UserFactory(username="nobody", role="manager", locations=[])
    body = {**bad, "to_location_id": south.pk}
    assert api_for(stranger).post("/api/v1/transfers/", body, format="json").status_code == 404
    transfer = request(sales_user, car, south)
    assert api_for(stranger).get(f"/api/v1/transfers/{transfer.pk}/").status_code == 404
    assert api_for(stranger).get("/api/v1/transfers/?status=").json()["count"] == 0
    assert api_for(manager).get("/api/v1/transfers/?status=open").json()["count"] == 1
    assert api_for(manager).get("/api/v1/transfers/?status=lost").status_code == 400
    assert api_for(manager).post(f"/api/v1/transfers/{transfer.pk}/explode/").status_code == 404
    assert anon.get("/api/v1/transfers/").status_code == 401
