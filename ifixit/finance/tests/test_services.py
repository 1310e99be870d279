"""Finance through its services: quoting and refusing bad figures, applications tied
to the sale, delivery held until funding, undoing a sale whose finance fell through,
telling the salesperson, and the figures."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ifixit.accounts import roles
from ifixit.crm.models import Communication, FollowUp, FollowUpRule, Survey
from ifixit.finance import calculator, selectors, services
from ifixit.finance.models import ApplicationEvent, FinanceApplication, Lender, Status
from ifixit.inventory import services as inventory
from ifixit.inventory.models import Payment, Phase, Sale
from ifixit.notifications.models import Notification
from ifixit.testing.factories import CarFactory, CustomerFactory, FinanceApplicationFactory, LenderFactory, UserFactory

D = Decimal
FIGURES = {"cash_price": "10000", "deposit": "1000", "part_exchange": "0", "amount_financed": None, "term_months": 48, "apr": "9.9"}


def sell(user, car, customer, *, payment=Payment.FINANCE, price="10000", **extra):
    return inventory.sale_record(
        user=user, car_id=car.pk, sold_on=timezone.localdate(), price=D(price), customer_id=customer.pk, payment=payment, **extra
    )


@pytest.fixture
def lender(db):
    return LenderFactory(name="Northgate Motor Finance", typical_decision_hours=6)


@pytest.fixture
def customer(north):
    return CustomerFactory(name="Priya Shah", locations=[north])


@pytest.fixture
def reserved(north):
    return CarFactory(location=north, phase=Phase.RESERVED, asking_price=D("10000"))


def apply(user, car, customer, lender, **figures):
    return services.application_create(
        user=user, customer_id=customer.pk, car_id=car.pk, **{**FIGURES, "lender_id": lender.pk, **figures}
    )


# --- The arithmetic --------------------------------------------------------------------


def test_the_monthly_payment_is_the_annuity_on_the_effective_monthly_rate():
    # By hand: r = 1.099^(1/12) - 1 = 0.0078977...; 9000 r / (1 - (1 + r)^-48) = 226.01
    rate = (1 + 0.099) ** (1 / 12) - 1
    by_hand = 9000 * rate / (1 - (1 + rate) ** -48)
    paid = calculator.monthly_payment(amount_financed=D("9000"), apr=D("9.9"), term_months=48)
    assert paid == D(f"{by_hand:.2f}") == D("226.01")


def test_zero_apr_divides_the_amount_evenly():
    assert calculator.monthly_payment(amount_financed=D("6000"), apr=D("0"), term_months=36) == D("166.67")


def test_a_quote_totals_what_the_customer_pays():
    quote = services.check_figures(**{**FIGURES, "part_exchange": "500"})
    assert quote.amount_financed == D("8500")
    assert quote.total_repayable == quote.monthly_payment * 48
    assert quote.total_payable == D("1500") + quote.total_repayable
    assert quote.charge_for_credit == quote.total_repayable - D("8500") > 0


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"deposit": "12000"}, "deposit", "larger than the price"),
        ({"deposit": "6000", "part_exchange": "5000"}, "deposit", "come to more than the price"),
        ({"amount_financed": "9500"}, "amount_financed", "does not add up"),
        ({"amount_financed": "8999.99"}, "amount_financed", "leaves £9,000.00 to finance"),
        ({"term_months": 3}, "term_months", "between 6 and 84 months"),
        ({"term_months": 120}, "term_months", "between 6 and 84 months"),
        ({"apr": "60"}, "apr", "between 0% and 49.9%"),
        ({"apr": "-1"}, "apr", "between 0% and 49.9%"),
        ({"apr": "9.95"}, "apr", "one decimal place"),
        ({"deposit": "9800"}, "amount_financed", "at least £500"),
        ({"cash_price": "0"}, "cash_price", "more than zero"),
        ({"deposit": "-5"}, "deposit", "cannot be negative"),
        ({"cash_price": "ten thousand"}, "cash_price", "Enter an amount"),
        ({"cash_price": "NaN"}, "cash_price", "Enter an amount"),
        ({"deposit": "Infinity"}, "deposit", "Enter an amount"),
        ({"amount_financed": "1e100000"}, "amount_financed", "Enter an amount"),
        ({"apr": "sNaN"}, "apr", "Enter the APR"),
    ],
)
def test_bad_figures_are_refused_by_field_and_nothing_is_written(changes, field, message, manager, reserved, customer, lender):
    with pytest.raises(ValidationError) as caught:
        apply(manager, reserved, customer, lender, **changes)
    assert message in " ".join(caught.value.message_dict[field])
    assert not FinanceApplication.objects.exists() and not ApplicationEvent.objects.exists()


# --- Applications and the car -----------------------------------------------------------


def test_a_draft_is_made_with_its_quote_and_first_history_step(manager, reserved, customer, lender):
    application = apply(manager, reserved, customer, lender, note="Customer prefers 48 months")
    assert (application.status, application.amount_financed, application.location) == (Status.DRAFT, D("9000"), reserved.location)
    assert application.monthly_payment == D("226.01") and application.salesperson == manager
    event = application.events.get()
    assert (event.from_status, event.to_status, event.note) == ("", Status.DRAFT, "Customer prefers 48 months")


def test_one_customer_may_apply_for_one_car_with_several_lenders(manager, reserved, customer, lender):
    apply(manager, reserved, customer, lender)
    apply(manager, reserved, customer, LenderFactory())
    assert reserved.finance_applications.count() == 2


@pytest.mark.parametrize("phase", [Phase.FIXING, Phase.PURCHASED, Phase.READY])
def test_a_car_not_yet_on_sale_cannot_be_financed(phase, manager, north, customer, lender):
    car = CarFactory(location=north, phase=phase)
    with pytest.raises(ValidationError, match="cannot be financed yet"):
        apply(manager, car, customer, lender)


def test_a_car_sold_for_cash_or_to_someone_else_cannot_be_financed(manager, north, customer, lender):
    cash = CarFactory(location=north, phase=Phase.LISTED)
    sell(manager, cash, customer, payment=Payment.CASH)
    with pytest.raises(ValidationError, match="sold for cash"):
        apply(manager, cash, customer, lender)
    other = CarFactory(location=north, phase=Phase.LISTED)
    sell(manager, other, CustomerFactory(locations=[north]))
    with pytest.raises(ValidationError, match="sold to another customer"):
        apply(manager, other, customer, lender)


def test_a_sold_car_is_financed_at_its_sale_price(manager, reserved, customer, lender):
    sell(manager, reserved, customer, price="9800")
    with pytest.raises(ValidationError, match="sold for £9,800.00"):
        apply(manager, reserved, customer, lender)
    assert apply(manager, reserved, customer, lender, cash_price="9800").amount_financed == D("8800")


def test_inactive_lenders_and_other_locations_are_refused(manager, outsider, reserved, customer, lender):
    lender.is_active = False
    lender.save()
    with pytest.raises(ValidationError) as caught:
        apply(manager, reserved, customer, lender)
    assert "lender" in caught.value.message_dict
    with pytest.raises(ValidationError, match="Choose a car of your locations"):
        apply(outsider, reserved, customer, LenderFactory())


def test_workshop_staff_cannot_apply(workshop_user, reserved, customer, lender):
    with pytest.raises(PermissionDenied):
        apply(workshop_user, reserved, customer, lender)


def test_only_a_draft_changes_its_figures(manager, reserved, customer, lender):
    application = apply(manager, reserved, customer, lender)
    changed = services.application_update(user=manager, application_id=application.pk, deposit=D("2000"), amount_financed=None, term_months=36)
    assert (changed.amount_financed, changed.term_months) == (D("8000"), 36)
    assert changed.monthly_payment == calculator.monthly_payment(amount_financed=D("8000"), apr=D("9.9"), term_months=36)
    services.application_move(user=manager, application_id=application.pk, to_status=Status.SUBMITTED)
    with pytest.raises(ValidationError, match="Only a draft"):
        services.application_update(user=manager, application_id=application.pk, term_months=60)


# --- Delivery ------------------------------------------------------------------------------


def test_a_cash_sale_is_delivered_when_recorded(manager, reserved, customer):
    sale = sell(manager, reserved, customer, payment=Payment.CASH)
    assert sale.delivered_at is not None and sale.delivered_by == manager


def test_a_finance_sale_waits_for_funding_before_delivery(manager, reserved, customer, lender):
    sale = sell(manager, reserved, customer, part_exchange_allowance=D("1500"), part_exchange_registration="ab12 cde")
    assert sale.delivered_at is None and sale.payment_display == "Finance + part-exchange"
    assert sale.part_exchange_registration == "AB12CDE" and sale.balance_due == D("8500")
    with pytest.raises(ValidationError, match="once its finance application is funded"):
        inventory.sale_deliver(user=manager, car_id=reserved.pk)
    application = apply(manager, reserved, customer, lender, deposit="0", part_exchange="1500")
    for step in (Status.SUBMITTED, Status.APPROVED, Status.CONTRACT_SIGNED, Status.FUNDED):
        services.application_move(user=manager, application_id=application.pk, to_status=step)
    delivered = inventory.sale_deliver(user=manager, car_id=reserved.pk)
    assert delivered.delivered_at is not None
    with pytest.raises(ValidationError, match="already delivered"):
        inventory.sale_deliver(user=manager, car_id=reserved.pk)


def test_switching_to_cash_withdraws_the_finance_and_allows_delivery(manager, reserved, customer, lender):
    sell(manager, reserved, customer)
    application = apply(manager, reserved, customer, lender)
    services.application_move(user=manager, application_id=application.pk, to_status=Status.SUBMITTED)
    with pytest.raises(ValidationError, match="Say why"):
        inventory.sale_switch_to_cash(user=manager, car_id=reserved.pk, note=" ")
    sale = inventory.sale_switch_to_cash(user=manager, car_id=reserved.pk, note="Paid by bank transfer")
    application.refresh_from_db()
    assert (sale.payment, sale.payment_note, sale.payment_changed_by) == (Payment.CASH, "Paid by bank transfer", manager)
    assert application.status == Status.WITHDRAWN and "switched to cash" in application.events.last().note
    assert inventory.sale_deliver(user=manager, car_id=reserved.pk).delivered_at


def test_a_funded_sale_cannot_switch_to_cash(manager, reserved, customer):
    sell(manager, reserved, customer)
    FinanceApplicationFactory(car=reserved, customer=customer, status=Status.FUNDED)
    with pytest.raises(ValidationError, match="already funded"):
        inventory.sale_switch_to_cash(user=manager, car_id=reserved.pk, note="Changed mind")
    assert Sale.objects.get().payment == Payment.FINANCE


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"part_exchange_allowance": D("12000")}, "part_exchange_allowance"),
        ({"part_exchange_allowance": D("800")}, "part_exchange_registration"),
        ({"payment": "cheque"}, "payment"),
    ],
)
def test_a_bad_payment_on_a_sale_is_refused_and_the_car_stays_unsold(changes, field, manager, reserved, customer):
    with pytest.raises(ValidationError) as caught:
        sell(manager, reserved, customer, **changes)
    assert field in caught.value.message_dict
    reserved.refresh_from_db()
    assert reserved.phase == Phase.RESERVED and not Sale.objects.exists()


def test_a_finance_sale_needs_a_customer_on_file(manager, reserved):
    with pytest.raises(ValidationError, match="needs the customer on file"):
        inventory.sale_record(user=manager, car_id=reserved.pk, sold_on=timezone.localdate(), price=D("9000"), buyer_name="Walk-in", payment=Payment.FINANCE)


# --- When the finance falls through ----------------------------------------------------------


@pytest.mark.parametrize("to_phase", [Phase.RESERVED, Phase.LISTED])
def test_a_declined_finance_can_put_the_sold_car_back(to_phase, manager, reserved, customer, lender, north):
    FollowUpRule.objects.create(location=north, days_after_sale=3, note="How is the car?")
    sell(manager, reserved, customer)
    assert FollowUp.objects.count() == 1 and Survey.objects.count() == 1
    application = apply(manager, reserved, customer, lender)
    services.application_move(user=manager, application_id=application.pk, to_status=Status.SUBMITTED)
    services.application_move(
        user=manager, application_id=application.pk, to_status=Status.DECLINED, note="Affordability", car_outcome=to_phase
    )
    reserved.refresh_from_db()
    assert reserved.phase == to_phase and not Sale.objects.exists()
    assert not FollowUp.objects.exists() and not Survey.objects.exists()
    assert "Sale undone" in reserved.phase_changes.order_by("-changed_at", "-id").first().note
    note = Communication.objects.get(customer=customer, channel=Communication.Channel.NOTE)
    assert "Affordability" in note.body
    # The car can be sold again.
    assert sell(manager, reserved, customer, payment=Payment.CASH).payment == Payment.CASH


def test_keeping_the_car_leaves_the_sale_for_another_lender(manager, reserved, customer, lender):
    sell(manager, reserved, customer)
    application = FinanceApplicationFactory(car=reserved, customer=customer, lender=lender, status=Status.SUBMITTED)
    services.application_move(user=manager, application_id=application.pk, to_status=Status.DECLINED, note="No")
    reserved.refresh_from_db()
    assert reserved.phase == Phase.SOLD and Sale.objects.exists()


def test_the_sale_stays_while_another_application_is_open(manager, reserved, customer, lender):
    sell(manager, reserved, customer)
    first = FinanceApplicationFactory(car=reserved, customer=customer, status=Status.SUBMITTED)
    FinanceApplicationFactory(car=reserved, customer=customer, status=Status.SUBMITTED)
    with pytest.raises(ValidationError, match="still open"):
        services.application_move(
            user=manager, application_id=first.pk, to_status=Status.WITHDRAWN, note="Customer chose the other", car_outcome=Phase.LISTED
        )
    first.refresh_from_db()
    assert first.status == Status.SUBMITTED and Sale.objects.exists()


def test_a_withdrawn_application_on_a_reserved_car_can_list_it_again(manager, reserved, customer, lender):
    application = FinanceApplicationFactory(car=reserved, customer=customer, status=Status.DRAFT)
    services.application_move(
        user=manager, application_id=application.pk, to_status=Status.WITHDRAWN, note="Customer walked", car_outcome=Phase.LISTED
    )
    reserved.refresh_from_db()
    assert reserved.phase == Phase.LISTED


def test_a_car_outcome_is_only_for_an_ending(manager, reserved, customer):
    application = FinanceApplicationFactory(car=reserved, customer=customer, status=Status.DRAFT)
    with pytest.raises(ValidationError) as caught:
        services.application_move(user=manager, application_id=application.pk, to_status=Status.SUBMITTED, car_outcome=Phase.LISTED)
    assert "car_outcome" in caught.value.message_dict


# --- Telling the salesperson -----------------------------------------------------------------


def test_the_salesperson_hears_each_lender_decision_recorded_by_someone_else(manager, sales_user, reserved, customer, lender):
    sell(sales_user, reserved, customer)
    application = apply(sales_user, reserved, customer, lender)
    services.application_move(user=sales_user, application_id=application.pk, to_status=Status.SUBMITTED)
    assert not Notification.objects.exists()  # they submitted it themselves
    services.application_move(user=manager, application_id=application.pk, to_status=Status.REFERRED, note="Need payslips")
    services.application_move(user=manager, application_id=application.pk, to_status=Status.SUBMITTED)
    services.application_move(user=manager, application_id=application.pk, to_status=Status.APPROVED)
    told = list(Notification.objects.filter(recipient=sales_user, kind="finance_update").order_by("id"))
    assert [n.title for n in told] == [
        "Northgate Motor Finance referred Priya Shah's finance",
        "Northgate Motor Finance approved Priya Shah's finance",
    ]
    assert told[0].body == "Need payslips" and told[0].link.endswith(f"/finance/applications/{application.pk}/")


def test_an_application_waiting_too_long_is_flagged_once_per_state(manager, sales_user, reserved, customer, lender, north):
    application = FinanceApplicationFactory(car=reserved, customer=customer, lender=lender, salesperson=sales_user)
    services.application_move(user=manager, application_id=application.pk, to_status=Status.SUBMITTED)
    assert services.applications_flag_waiting() == 0  # within the lender's 6 hours
    # Seven hours later:
    FinanceApplication.objects.filter(pk=application.pk).update(
        status_changed_at=timezone.now() - timedelta(hours=7), waiting_due_at=timezone.now() - timedelta(hours=1)
    )
    assert services.applications_flag_waiting() == 1
    assert services.applications_flag_waiting() == 0  # a second beat
    note = Notification.objects.get(recipient=sales_user)
    assert "submitted with Northgate Motor Finance for 7 hours" in note.title and "within 6 hours" in note.body
    assert selectors.application_list(user=manager, filters=selectors.ApplicationFilters(waiting=True)).get() == application
    # Referred waits on us, not the lender; resubmitted, the lender's clock starts again.
    services.application_move(user=manager, application_id=application.pk, to_status=Status.REFERRED, note="More")
    application.refresh_from_db()
    assert application.waiting_flagged_at is None and application.waiting_due_at is None
    services.application_move(user=manager, application_id=application.pk, to_status=Status.SUBMITTED, note="Payslips sent")
    application.refresh_from_db()
    assert services.applications_flag_waiting(now=application.waiting_due_at + timedelta(minutes=1)) == 1


def test_a_departed_salesperson_s_alerts_go_to_the_managers(manager, north, south, reserved, customer, lender):
    gone = UserFactory(role=roles.SALES, locations=[south])
    application = FinanceApplicationFactory(car=reserved, customer=customer, lender=lender, salesperson=gone, status=Status.SUBMITTED)
    services.application_move(user=UserFactory(role=roles.ADMIN), application_id=application.pk, to_status=Status.APPROVED)
    assert Notification.objects.filter(recipient=manager, kind="finance_update").count() == 1
    assert not Notification.objects.filter(recipient=gone).exists()


# --- Lenders ------------------------------------------------------------------------------------


def test_lenders_are_kept_with_normalised_contacts(manager):
    lender = services.lender_create(user=manager, name="Harbour Bank", kind=Lender.Kind.BANK, phone="020 7946 0123", email="Deals@Harbour.example", typical_decision_hours=2)
    assert (lender.phone, lender.email) == ("+442079460123", "deals@harbour.example")
    with pytest.raises(ValidationError, match="already a lender called"):
        services.lender_create(user=manager, name="harbour bank")
    with pytest.raises(ValidationError) as caught:
        services.lender_create(user=manager, name="Bad Ltd", phone="12", typical_decision_hours=0)
    assert {"phone", "typical_decision_hours"} <= set(caught.value.message_dict)


def test_sales_staff_cannot_change_lenders(sales_user, lender):
    with pytest.raises(PermissionDenied):
        services.lender_update(user=sales_user, lender_id=lender.pk, typical_decision_hours=1)


def test_a_lender_s_new_decision_time_moves_its_open_waits(manager, reserved, customer, lender):
    application = FinanceApplicationFactory(car=reserved, customer=customer, lender=lender)
    services.application_move(user=manager, application_id=application.pk, to_status=Status.SUBMITTED)
    services.lender_update(user=manager, lender_id=lender.pk, typical_decision_hours=48)
    application.refresh_from_db()
    assert application.waiting_due_at - application.status_changed_at == timedelta(hours=48)


# --- Figures ----------------------------------------------------------------------------------------


def test_the_figures_are_what_the_rows_say(manager, outsider, north, south):
    today = timezone.localdate()
    month = date(today.year, today.month, 1)
    lender, other = LenderFactory(name="A Bank"), LenderFactory(name="B Finance")
    buyers = [CustomerFactory(locations=[north]) for _ in range(4)]
    for i, (payment, px) in enumerate([(Payment.FINANCE, "0"), (Payment.FINANCE, "500"), (Payment.CASH, "0"), (Payment.CASH, "0")]):
        car = CarFactory(location=north, phase=Phase.LISTED)
        sell(manager, car, buyers[i], payment=payment, part_exchange_allowance=D(px), part_exchange_registration="AB12CDE" if px != "0" else "")
    south_car = CarFactory(location=south, phase=Phase.LISTED)
    sell(outsider, south_car, CustomerFactory(locations=[south]))
    now = timezone.now()
    car = CarFactory(location=north, phase=Phase.LISTED)

    def decided(lender, decision, hours, **extra):
        return FinanceApplicationFactory(
            car=car, customer=buyers[0], lender=lender, status=extra.pop("status", decision), decision=decision,
            submitted_at=now - timedelta(hours=hours), decided_at=now, **extra,
        )

    decided(lender, Status.APPROVED, 2)
    decided(lender, Status.APPROVED, 4)
    decided(lender, Status.DECLINED, 9)
    decided(other, Status.DECLINED, 1)
    decided(lender, Status.APPROVED, 3, status=Status.FUNDED, funded_at=now, cash_price=D("12000"), deposit=D("2000"))

    figures = selectors.finance_figures(user=manager, start=month, end=today)
    this_month = figures.months[-1]
    assert (this_month.sales, this_month.on_finance, this_month.with_part_exchange) == (4, 2, 1)
    assert figures.share == 0.5 and [row.label for row in figures.locations] == ["North Yard"]
    a_bank, b_finance = figures.lenders
    assert (a_bank.approved, a_bank.declined, a_bank.approval_rate) == (3, 1, 0.75)
    assert a_bank.median_decision_hours == pytest.approx(3.5)  # of 2, 3, 4 and 9 hours
    assert (a_bank.funded, a_bank.funded_amount) == (1, D("10000"))
    assert (b_finance.approval_rate, b_finance.funded_amount) == (0.0, D("0"))
    assert figures.funded_amount == D("10000")
    # The South manager sees only South's sale, and none of North's applications.
    theirs = selectors.finance_figures(user=outsider, start=month, end=today)
    assert (theirs.sales, theirs.on_finance, theirs.lenders) == (1, 1, [])


# --- Found in review ------------------------------------------------------------------------------


def test_merging_customers_moves_their_applications(admin_user, manager, reserved, customer, lender, north):
    from ifixit.crm import services as crm

    twin = CustomerFactory(name="P. Shah", locations=[north])
    application = FinanceApplicationFactory(car=reserved, customer=twin, lender=lender)
    crm.customer_merge(user=admin_user, survivor_id=customer.pk, merged_id=twin.pk)
    application.refresh_from_db()
    assert application.customer == customer


def test_an_application_whose_figures_differ_from_the_sale_cannot_be_funded(manager, reserved, customer, lender):
    application = apply(manager, reserved, customer, lender)  # £10,000, no part-exchange, while reserved
    sell(manager, reserved, customer, price="10000", part_exchange_allowance=D("3000"), part_exchange_registration="AB12CDE")
    for step in (Status.SUBMITTED, Status.APPROVED, Status.CONTRACT_SIGNED):
        services.application_move(user=manager, application_id=application.pk, to_status=step)
    with pytest.raises(ValidationError, match="part-exchange of £3,000.00"):
        services.application_move(user=manager, application_id=application.pk, to_status=Status.FUNDED)
    with pytest.raises(ValidationError, match="part-exchange of £3,000.00"):
        apply(manager, reserved, customer, lender, part_exchange="0")
    assert apply(manager, reserved, customer, lender, part_exchange="3000", deposit="0").amount_financed == D("7000")


def test_an_absurd_price_is_refused_not_a_server_error(manager, reserved, customer, lender):
    with pytest.raises(ValidationError, match="No car here costs more than"):
        apply(manager, reserved, customer, lender, cash_price="20000000", deposit="0")


def test_a_finance_sale_must_leave_something_to_finance(manager, reserved, customer):
    with pytest.raises(ValidationError, match="this is a cash sale"):
        sell(manager, reserved, customer, part_exchange_allowance=D("9800"), part_exchange_registration="AB12CDE")


def test_selling_for_cash_withdraws_the_open_applications(manager, reserved, customer, lender):
    application = FinanceApplicationFactory(car=reserved, customer=customer, lender=lender, status=Status.SUBMITTED)
    sell(manager, reserved, customer, payment=Payment.CASH)
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN and application.events.get().note == "The car was sold for cash."


def test_a_car_with_finance_in_progress_is_not_transferred(manager, reserved, customer, lender, south):
    FinanceApplicationFactory(car=reserved, customer=customer, lender=lender, status=Status.APPROVED)
    with pytest.raises(ValidationError, match="finance application for this car is in progress"):
        inventory.transfer_request(user=manager, car_id=reserved.pk, to_location_id=south.pk, reason="Sells better", planned_on=timezone.localdate())


@pytest.mark.parametrize("status, with_lender", [(Status.SUBMITTED, True), (Status.CONTRACT_SIGNED, True), (Status.REFERRED, False), (Status.APPROVED, False)])
def test_only_the_lender_s_own_steps_count_against_its_decision_time(status, with_lender, manager, reserved, customer, lender):
    before = {Status.SUBMITTED: Status.DRAFT, Status.CONTRACT_SIGNED: Status.APPROVED, Status.REFERRED: Status.SUBMITTED, Status.APPROVED: Status.SUBMITTED}
    application = FinanceApplicationFactory(car=reserved, customer=customer, lender=lender, status=before[status])
    services.application_move(user=manager, application_id=application.pk, to_status=status, note="n")
    application.refresh_from_db()
    assert (application.waiting_due_at is not None) == with_lender


def test_applying_makes_the_customer_one_of_the_car_s_location(manager, north, south, lender):
    both = UserFactory(role=roles.MANAGER, locations=[north, south])
    southerner = CustomerFactory(locations=[south])
    car = CarFactory(location=north, phase=Phase.LISTED, asking_price=D("10000"))
    apply(both, car, southerner, lender)
    assert set(southerner.locations.all()) == {north, south}


def test_a_draft_cannot_go_to_a_lender_the_group_stopped_using(manager, reserved, customer, lender):
    application = FinanceApplicationFactory(car=reserved, customer=customer, lender=lender)
    Lender.objects.filter(pk=lender.pk).update(is_active=False)
    with pytest.raises(ValidationError, match="no longer works with"):
        services.application_move(user=manager, application_id=application.pk, to_status=Status.SUBMITTED)


def test_a_longer_decision_time_lets_a_flagged_application_be_told_again(manager, reserved, customer, lender):
    application = FinanceApplicationFactory(
        car=reserved, customer=customer, lender=lender, status=Status.SUBMITTED, waiting_flagged_at=timezone.now(),
        waiting_due_at=timezone.now() - timedelta(hours=1),
    )
    services.lender_update(user=manager, lender_id=lender.pk, typical_decision_hours=72)
    application.refresh_from_db()
    assert application.waiting_flagged_at is None
    assert application.waiting_due_at == application.status_changed_at + timedelta(hours=72)


def test_a_customer_merge_takes_their_applications_to_the_survivor(admin_user, north, lender):
    from ifixit.crm import services as crm

    survivor, duplicate = CustomerFactory(locations=[north]), CustomerFactory(locations=[north])
    application = FinanceApplicationFactory(car=CarFactory(location=north, phase=Phase.RESERVED), customer=duplicate, lender=lender)

    crm.customer_merge(user=admin_user, survivor_id=survivor.pk, merged_id=duplicate.pk)

    application.refresh_from_db()
    assert application.customer == survivor


def test_the_customer_page_panel_lists_only_applications_the_user_may_see(manager, outsider, north, lender):
    from ifixit.finance.customers import panel

    customer = CustomerFactory(locations=[north])
    assert panel(user=manager, customer=customer) is None  # nothing to show: no panel
    application = FinanceApplicationFactory(car=CarFactory(location=north, phase=Phase.RESERVED), customer=customer, lender=lender)
    assert panel(user=manager, customer=customer) == {"applications": [application]}
    assert panel(user=outsider, customer=customer) is None
