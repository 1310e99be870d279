"""The finance demo data that seed_demo lays over the inventory and customer-care demos."""

import itertools
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ifixit.crm.models import Communication
from ifixit.finance import calculator
from ifixit.finance.demo_data import ALBION_STOPPED_DAYS_AGO, finance_demo_data_create
from ifixit.finance.models import OPEN, TRANSITIONS, WITH_LENDER, ApplicationEvent, FinanceApplication, Lender, Status
from ifixit.inventory.models import Car, Payment, Phase, PhaseChange, PurchaseFunding, Sale, validate_uk_plate
from ifixit.locations.models import Location
from ifixit.money import format_money
from ifixit.phones import normalise_phone

CARS = 150  # about 90 sales: enough for every state and a share worth measuring


@pytest.fixture(scope="module")
def demo_options():
    return {"cars": CARS}  # seeded once for the module (ifixit.testing.demo)


def _applications_by_car() -> dict[int, list[FinanceApplication]]:
    by_car = defaultdict(list)
    for application in FinanceApplication.objects.select_related("lender", "customer", "car"):
        by_car[application.car_id].append(application)
    return by_car


def test_it_has_lenders_to_choose_from_and_one_no_longer_used(seeded):
    assert "Finance: " in seeded
    lenders = list(Lender.objects.all())
    assert len(lenders) >= 5
    assert [lender.is_active for lender in lenders].count(False) == 1
    assert {lender.kind for lender in lenders} == set(Lender.Kind.values)
    for lender in lenders:
        lender.full_clean()
        assert normalise_phone(lender.phone) == lender.phone
        drama_ranges = ("+442079460", "+441134960", "+441614960", "+441144960", "+441214960", "+441174960")
        assert lender.phone.startswith(drama_ranges), lender.phone  # Ofcom's numbers for fiction
        assert lender.email.endswith(".example") and lender.website.endswith(".example")
        assert 1 <= lender.typical_decision_hours <= 48
    assert len({lender.typical_decision_hours for lender in lenders}) >= 4
    inactive = next(lender for lender in lenders if not lender.is_active)
    stopped = timezone.now() - timedelta(days=ALBION_STOPPED_DAYS_AGO)
    assert not inactive.applications.filter(created_at__gte=stopped).exists()


def test_it_puts_about_two_sales_in_five_on_finance_everywhere_and_some_with_a_part_exchange(seeded):
    sales = list(Sale.objects.all())
    on_finance = [s for s in sales if s.payment == Payment.FINANCE]
    assert 0.35 <= len(on_finance) / len(sales) <= 0.55
    with_part_exchange = [s for s in sales if s.part_exchange_allowance > 0]
    assert 0.2 <= len(with_part_exchange) / len(sales) <= 0.4
    for location in Location.objects.all():
        assert any(s.location_id == location.pk for s in on_finance), location.code
    months = Counter((s.sold_on.year, s.sold_on.month) for s in sales)
    financed_months = {(s.sold_on.year, s.sold_on.month) for s in on_finance}
    assert {month for month, n in months.items() if n >= 2} <= financed_months
    for sale in with_part_exchange:
        assert sale.part_exchange_allowance <= sale.price
        validate_uk_plate(sale.part_exchange_registration)
        assert sale.part_exchange_description
    assert any(s.payment == Payment.FINANCE for s in with_part_exchange)
    assert any(s.payment == Payment.CASH for s in with_part_exchange)


def test_it_shows_applications_in_every_state(seeded):
    assert set(FinanceApplication.objects.values_list("status", flat=True)) == set(Status.values)


def test_every_delivered_finance_sale_was_funded_once_for_its_buyer(seeded):
    by_car = _applications_by_car()
    sales = list(Sale.objects.all())
    for sale in sales:
        funded = [a for a in by_car[sale.car_id] if a.status == Status.FUNDED]
        if sale.payment == Payment.CASH:
            assert sale.delivered_at is not None, sale.pk
            assert not funded, sale.pk
        elif sale.delivered_at is not None:
            assert len(funded) == 1, sale.pk
            assert funded[0].funded_at <= sale.delivered_at <= timezone.now()
        for application in by_car[sale.car_id]:
            assert application.customer_id == sale.customer_id, application.pk
    for application in FinanceApplication.objects.filter(status=Status.FUNDED).select_related("car__sale"):
        sale = application.car.sale
        assert sale.payment == Payment.FINANCE and sale.customer_id == application.customer_id, application.pk
    waiting = [s for s in sales if s.payment == Payment.FINANCE and s.delivered_at is None]
    assert waiting
    assert all(not any(a.status == Status.FUNDED for a in by_car[s.car_id]) for s in waiting)


def test_funding_one_application_withdrew_the_cars_others(seeded):
    for car_id, applications in _applications_by_car().items():
        if any(a.status == Status.FUNDED for a in applications):
            assert not [a for a in applications if a.status in OPEN], car_id


def test_the_figures_add_up_and_the_monthly_payment_is_the_calculators(seeded):
    prices = dict(Sale.objects.values_list("car_id", "price"))
    allowances = dict(Sale.objects.values_list("car_id", "part_exchange_allowance"))
    applications = list(FinanceApplication.objects.select_related("car"))
    for application in applications:
        application.full_clean()
        assert application.cash_price == application.deposit + application.part_exchange + application.amount_financed
        assert application.amount_financed >= Decimal(500)
        assert 24 <= application.term_months <= 60
        assert Decimal("5.9") <= application.apr <= Decimal("19.9")
        assert application.apr == application.apr.quantize(Decimal("0.1"))
        assert application.monthly_payment == calculator.monthly_payment(
            amount_financed=application.amount_financed, apr=application.apr, term_months=application.term_months
        )
        if application.car_id in prices:
            assert application.cash_price == prices[application.car_id], application.pk
            assert application.part_exchange == allowances[application.car_id], application.pk
        else:
            assert application.car.phase == Phase.RESERVED
            assert application.cash_price == application.car.asking_price
    assert len({a.term_months for a in applications}) >= 3 and len({a.apr for a in applications}) >= 5


def test_every_step_is_recorded_in_order_and_the_dates_agree_with_it(seeded):
    now = timezone.now()
    events = defaultdict(list)
    for event in ApplicationEvent.objects.order_by("at", "id"):
        events[event.application_id].append(event)
    for application in FinanceApplication.objects.select_related("lender", "customer"):
        steps = events[application.pk]
        assert (steps[0].from_status, steps[0].to_status) == ("", Status.DRAFT), application.pk
        for before, after in itertools.pairwise(steps):
            assert after.from_status == before.to_status, application.pk
            assert after.to_status in TRANSITIONS[before.to_status], (application.pk, before.to_status, after.to_status)
            assert before.at <= after.at, application.pk
        told_why = (Status.DECLINED, Status.REFERRED, Status.WITHDRAWN)  # the service asks for a note
        assert all(e.note for e in steps if e.to_status in told_why), application.pk
        assert all(e.by_id for e in steps), application.pk
        last = steps[-1]
        assert (application.status, application.status_changed_at) == (last.to_status, last.at), application.pk
        assert application.created_at == steps[0].at >= application.customer.created_at
        assert last.at <= now
        first = {}
        for event in steps:
            first.setdefault(event.to_status, event)
        decision = next((e for e in steps if e.to_status in (Status.APPROVED, Status.DECLINED)), None)
        assert application.submitted_at == (first[Status.SUBMITTED].at if Status.SUBMITTED in first else None)
        assert application.decided_at == (decision.at if decision else None)
        assert application.decision == (decision.to_status if decision else "")
        assert application.funded_at == (first[Status.FUNDED].at if Status.FUNDED in first else None)
        if application.status in WITH_LENDER:
            assert (
                application.waiting_due_at == application.status_changed_at + application.lender.typical_decision_time
            )
        else:
            assert application.waiting_due_at is None and application.waiting_flagged_at is None


def test_it_often_declines_at_one_lender_before_another_approves(seeded):
    turned_round = 0
    for applications in _applications_by_car().values():
        declined = {a.lender_id for a in applications if a.status == Status.DECLINED}
        funded = {a.lender_id for a in applications if a.status == Status.FUNDED}
        turned_round += bool(declined and funded and not declined & funded)
    assert turned_round >= 3


def test_some_open_applications_wait_longer_than_their_lender_usually_takes(seeded):
    now = timezone.now()
    open_ones = list(FinanceApplication.objects.filter(status__in=WITH_LENDER))
    too_long = [a for a in open_ones if a.waits_too_long(now)]
    assert too_long
    assert all(a.waiting_flagged_at is not None and a.waiting_flagged_at <= now for a in too_long)
    assert all(now - a.status_changed_at > timedelta(hours=a.lender.typical_decision_hours) for a in too_long)


def test_reserved_cars_have_applications_for_a_customer_and_no_sale(seeded):
    on_reserved = FinanceApplication.objects.filter(car__phase=Phase.RESERVED).select_related("car", "customer")
    assert on_reserved.count() >= 3
    for application in on_reserved:
        assert not Sale.objects.filter(car=application.car).exists()
        assert application.customer.locations.filter(pk=application.car.location_id).exists()
        assert application.created_at >= application.car.phase_changed_at


def test_a_sale_declined_on_finance_was_switched_to_cash_and_delivered(seeded):
    switched = list(Sale.objects.exclude(payment_changed_at=None))
    assert switched
    by_car = _applications_by_car()
    for sale in switched:
        assert sale.payment == Payment.CASH and sale.payment_note and sale.payment_changed_by_id
        assert sale.created_at < sale.payment_changed_at < sale.delivered_at
        statuses = {a.status for a in by_car[sale.car_id]}
        assert Status.DECLINED in statuses and statuses <= {Status.DECLINED, Status.WITHDRAWN}


def test_the_customer_care_log_names_the_lender_of_each_finance_sale(seeded):
    by_car = _applications_by_car()
    notes = Communication.objects.filter(body__startswith="Finance through ")
    assert notes.exists()
    for note in notes:
        lender = note.body.removeprefix("Finance through ").split(":")[0]
        assert lender in {a.lender.name for a in by_car[note.car_id]}, note.body
        assert Sale.objects.get(car_id=note.car_id).payment == Payment.FINANCE


def test_the_sale_in_each_cars_history_says_how_it_was_paid_when_it_was_recorded(seeded):
    notes = dict(PhaseChange.objects.filter(to_phase=Phase.SOLD).values_list("car_id", "note"))
    for sale in Sale.objects.all():
        recorded_as = Payment.FINANCE if sale.payment_changed_at else sale.payment  # switched to cash later
        said = Sale(price=sale.price, payment=recorded_as, part_exchange_allowance=sale.part_exchange_allowance)
        assert notes[sale.car_id] == f"Sold for {format_money(sale.price, 2)} ({said.payment_display.lower()})"


def test_about_three_cars_in_ten_were_bought_on_stock_finance(seeded):
    bought = Car.objects.exclude(purchased_on=None)
    share = bought.filter(purchase_funding=PurchaseFunding.STOCK_FINANCE).count() / bought.count()
    assert 0.2 <= share <= 0.4


def test_it_does_nothing_when_there_are_applications_already(seeded):
    counts = (FinanceApplication.objects.count(), ApplicationEvent.objects.count(), Lender.objects.count())
    assert finance_demo_data_create(seed=42) is None
    assert (FinanceApplication.objects.count(), ApplicationEvent.objects.count(), Lender.objects.count()) == counts
