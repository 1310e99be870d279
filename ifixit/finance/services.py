"""Every write on finance: lenders, applications and their workflow.

Each service checks everything before it writes, inside one transaction, so a refused
change leaves nothing behind. Workflow moves lock the application's car, so two people
funding two applications for one car are serialised and the second is told.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.errors import conflict
from ifixit.finance import calculator
from ifixit.finance.models import (
    ENDINGS,
    LENDER_DECISIONS,
    MAX_APR,
    MAX_TERM_MONTHS,
    MIN_TERM_MONTHS,
    OPEN,
    TRANSITIONS,
    WITH_LENDER,
    ApplicationEvent,
    FinanceApplication,
    Lender,
    Status,
)
from ifixit.finance.selectors import applications_visible_to
from ifixit.inventory.models import MAX_PRICE, MIN_AMOUNT_FINANCED, Car, Payment, Phase, Sale
from ifixit.inventory.selectors import cars_visible_to
from ifixit.money import format_money
from ifixit.notifications.services import notify
from ifixit.phones import normalise_phone

LENDER_FIELDS = ["name", "kind", "contact_name", "phone", "email", "website", "typical_decision_hours", "notes", "is_active"]
FIGURE_FIELDS = ["lender_id", "cash_price", "deposit", "part_exchange", "amount_financed", "term_months", "apr", "lender_reference"]
# What may happen to the car when its finance falls through (ENDINGS).
KEEP = "keep"
CAR_OUTCOMES = {KEEP: "Keep it as it is", Phase.RESERVED: "Back to reserved", Phase.LISTED: "Back to listed"}
# Phases a car can be financed in: on sale, held for a customer, or sold on finance.
FINANCEABLE_PHASES = (Phase.LISTED, Phase.RESERVED, Phase.SOLD)


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to do this ({perm}).")


# --- Lenders ----------------------------------------------------------------------------


def _save_lender(lender: Lender, fields: dict) -> Lender:
    unknown = set(fields) - set(LENDER_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(lender, name, value.strip() if isinstance(value, str) else value)
    errors: dict[str, list[str]] = {}
    try:
        lender.phone = normalise_phone(lender.phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    lender.email = lender.email.lower()
    if Lender.objects.filter(name__iexact=lender.name).exclude(pk=lender.pk).exists():
        errors["name"] = [f"There is already a lender called {lender.name}."]
    try:
        lender.full_clean(exclude=["phone", *errors])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    lender.save()
    return lender


@transaction.atomic
def lender_create(*, user: User, **fields) -> Lender:
    _require(user, "finance.add_lender")
    return _save_lender(Lender(), fields)


@transaction.atomic
def lender_update(*, user: User, lender_id: int, **fields) -> Lender:
    _require(user, "finance.change_lender")
    lender = Lender.objects.select_for_update().filter(pk=lender_id).first()
    if lender is None:
        raise ValidationError({"lender": "No such lender."})
    old_hours = lender.typical_decision_hours
    lender = _save_lender(lender, fields)
    if lender.typical_decision_hours != old_hours:
        # The applications waiting on this lender are measured against its new time (and
        # may be told again, if the new time runs out later than the old one did).
        lender.applications.filter(status__in=WITH_LENDER).update(
            waiting_due_at=F("status_changed_at") + lender.typical_decision_time, waiting_flagged_at=None
        )
    return lender


# --- Applications -----------------------------------------------------------------------


def _decimal(value, field: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or abs(number) >= 10**10:  # NaN, Infinity, 1e100000
        errors[field] = "Enter an amount such as 1250 or 1250.50." if field != "apr" else "Enter the APR, e.g. 9.9."
        return None
    return number


def check_figures(*, cash_price, deposit, part_exchange, amount_financed, term_months, apr) -> calculator.Quote:
    """The figures of an application, checked and quoted, or ValidationError saying
    what is wrong with each. A blank amount financed is worked out from the rest."""
    errors: dict[str, str] = {}
    cash_price = _decimal(cash_price, "cash_price", errors)
    deposit = _decimal(deposit, "deposit", errors) or Decimal("0")
    part_exchange = _decimal(part_exchange, "part_exchange", errors) or Decimal("0")
    amount_financed = _decimal(amount_financed, "amount_financed", errors)
    apr = _decimal(apr, "apr", errors)
    if cash_price is None:
        errors.setdefault("cash_price", "Enter the car's cash price.")
    elif cash_price <= 0:
        errors["cash_price"] = "The cash price must be more than zero."
    if deposit < 0:
        errors["deposit"] = "The deposit cannot be negative."
    if part_exchange < 0:
        errors["part_exchange"] = "The part-exchange cannot be negative."
    if cash_price and cash_price > 0 and "deposit" not in errors and "part_exchange" not in errors:
        if deposit > cash_price:
            errors["deposit"] = f"The deposit ({format_money(deposit, 2)}) is larger than the price ({format_money(cash_price, 2)})."
        elif deposit + part_exchange > cash_price:
            errors["deposit"] = (
                f"Deposit and part-exchange ({format_money(deposit + part_exchange, 2)}) come to more than the price "
                f"({format_money(cash_price, 2)})."
            )
        else:
            balance = cash_price - deposit - part_exchange
            if amount_financed is None and "amount_financed" not in errors:
                amount_financed = balance
            elif amount_financed is not None and amount_financed != balance:
                errors["amount_financed"] = (
                    f"This does not add up: price {format_money(cash_price, 2)} − deposit {format_money(deposit, 2)} "
                    f"− part-exchange {format_money(part_exchange, 2)} leaves {format_money(balance, 2)} to finance, "
                    f"not {format_money(amount_financed, 2)}."
                )
            if "amount_financed" not in errors and amount_financed < MIN_AMOUNT_FINANCED:
                errors["amount_financed"] = f"Lenders finance at least {format_money(MIN_AMOUNT_FINANCED)}; this is a cash sale."
    for name, value in (("cash_price", cash_price), ("deposit", deposit), ("part_exchange", part_exchange), ("amount_financed", amount_financed)):
        if value is None or name in errors:
            continue
        if value > MAX_PRICE:
            errors[name] = f"No car here costs more than {format_money(MAX_PRICE)}; check the amount."
        elif value.as_tuple().exponent < -2:
            errors[name] = "Amounts have at most two decimal places (pence, cents)."
    try:
        term_months = int(term_months)
    except (TypeError, ValueError):
        errors["term_months"] = "Enter the term in whole months."
    else:
        if not MIN_TERM_MONTHS <= term_months <= MAX_TERM_MONTHS:
            errors["term_months"] = f"The term must be between {MIN_TERM_MONTHS} and {MAX_TERM_MONTHS} months."
    if apr is None:
        errors.setdefault("apr", "Enter the APR, e.g. 9.9.")
    elif not Decimal("0") <= apr <= MAX_APR:
        errors["apr"] = f"The APR must be between 0% and {MAX_APR}%."
    elif apr.as_tuple().exponent < -1:
        errors["apr"] = "Give the APR to one decimal place, e.g. 9.9."
    if errors:
        raise ValidationError(errors)
    return calculator.quote(
        cash_price=cash_price,
        deposit=deposit,
        part_exchange=part_exchange,
        amount_financed=amount_financed,
        apr=apr,
        term_months=term_months,
    )


def _locked_car(user: User, car_id: int) -> Car:
    car = cars_visible_to(user).select_for_update().filter(pk=car_id).first()
    if car is None:
        raise ValidationError({"car": "Choose a car of your locations."})
    return car


def _check_car(car: Car, customer_id: int) -> Sale | None:
    if car.phase not in FINANCEABLE_PHASES:
        raise ValidationError({"car": f"A {car.get_phase_display().lower()} car cannot be financed yet: list or reserve it first."})
    if car.finance_applications.filter(status=Status.FUNDED).exists():
        raise ValidationError({"car": "This car's finance is already funded."})
    sale = Sale.objects.filter(car=car).first()
    if sale is not None:
        if sale.payment != Payment.FINANCE:
            raise ValidationError({"car": "This car was sold for cash. Record a finance sale to finance it."})
        if sale.customer_id != customer_id:
            raise ValidationError({"customer": "This car was sold to another customer."})
        if sale.delivered_at:
            raise ValidationError({"car": "This car was already delivered."})
    return sale


def _mismatch_with_sale(*, cash_price: Decimal, part_exchange: Decimal, sale: Sale | None) -> str:
    """Why these figures cannot finance this sale, or "": the lender pays for the deal
    that was made, at its price and with its part-exchange."""
    if sale is None:
        return ""
    if cash_price != sale.price:
        return f"The car was sold for {format_money(sale.price, 2)}; finance that price."
    if part_exchange != sale.part_exchange_allowance:
        return f"The sale takes a part-exchange of {format_money(sale.part_exchange_allowance, 2)}; use that figure."
    return ""


def _record(application: FinanceApplication, *, from_status: str, user: User, note: str, now: datetime) -> None:
    ApplicationEvent.objects.create(
        application=application, from_status=from_status, to_status=application.status, note=note, at=now, by=user
    )


@transaction.atomic
def application_create(*, user: User, customer_id: int, car_id: int, note: str = "", **figures) -> FinanceApplication:
    """A draft application for a customer and a car, its monthly payment quoted."""
    from ifixit.crm.selectors import customers_visible_to

    _require(user, "finance.add_financeapplication")
    unknown = set(figures) - set(FIGURE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in sorted(unknown)})
    car = _locked_car(user, car_id)
    customer = customers_visible_to(user).filter(pk=customer_id).first()
    if customer is None:
        raise ValidationError({"customer": "Choose a customer of your locations."})
    sale = _check_car(car, customer.pk)
    lender = Lender.objects.filter(pk=figures.get("lender_id") or 0, is_active=True).first()
    errors = {}
    if lender is None:
        errors["lender"] = "Choose one of the lenders the group works with."
    try:
        quote = check_figures(**{k: figures.get(k) for k in ("cash_price", "deposit", "part_exchange", "amount_financed", "term_months", "apr")})
    except ValidationError as exc:
        errors.update({k: v for k, v in exc.message_dict.items()})
        quote = None
    if quote is not None and (mismatch := _mismatch_with_sale(cash_price=quote.cash_price, part_exchange=quote.part_exchange, sale=sale)):
        errors["part_exchange" if "part-exchange" in mismatch else "cash_price"] = mismatch
    if errors:
        raise ValidationError(errors)
    # The customer is now one of this location's: its staff work the application.
    customer.locations.add(car.location)
    now = timezone.now()
    application = FinanceApplication.objects.create(
        customer=customer,
        car=car,
        lender=lender,
        location=car.location,
        salesperson=(sale.sold_by if sale and sale.sold_by_id else user),
        lender_reference=(figures.get("lender_reference") or "").strip()[:60],
        cash_price=quote.cash_price,
        deposit=quote.deposit,
        part_exchange=quote.part_exchange,
        amount_financed=quote.amount_financed,
        term_months=quote.term_months,
        apr=quote.apr,
        monthly_payment=quote.monthly_payment,
        status=Status.DRAFT,
        status_changed_at=now,
        created_at=now,
        created_by=user,
    )
    _record(application, from_status="", user=user, note=note.strip()[:1000], now=now)
    return application


def _locked_application(user: User, application_id: int) -> FinanceApplication:
    application = applications_visible_to(user).filter(pk=application_id).select_related("lender").first()
    if application is None:
        raise ValidationError({"application": "No such application in your locations."})
    # The car first, then the application: every writer takes them in this order.
    _locked_car(user, application.car_id)
    return FinanceApplication.objects.select_for_update().select_related("lender", "car", "customer").get(pk=application.pk)


@transaction.atomic
def application_update(*, user: User, application_id: int, **figures) -> FinanceApplication:
    """Change a draft's figures or lender; once submitted, the lender has them."""
    _require(user, "finance.change_financeapplication")
    unknown = set(figures) - set(FIGURE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in sorted(unknown)})
    application = _locked_application(user, application_id)
    if application.status != Status.DRAFT:
        raise conflict("status", f"Only a draft can be changed; this one is {application.get_status_display().lower()}.")
    current = {name: getattr(application, name) for name in FIGURE_FIELDS}
    current.update(figures)
    errors = {}
    lender = Lender.objects.filter(pk=current["lender_id"] or 0).first()
    if lender is None or (not lender.is_active and lender.pk != application.lender_id):
        errors["lender"] = "Choose one of the lenders the group works with."
    try:
        quote = check_figures(**{k: current[k] for k in ("cash_price", "deposit", "part_exchange", "amount_financed", "term_months", "apr")})
    except ValidationError as exc:
        errors.update(exc.message_dict)
        quote = None
    sale = Sale.objects.filter(car_id=application.car_id).first()
    if quote is not None and (mismatch := _mismatch_with_sale(cash_price=quote.cash_price, part_exchange=quote.part_exchange, sale=sale)):
        errors["part_exchange" if "part-exchange" in mismatch else "cash_price"] = mismatch
    if errors:
        raise ValidationError(errors)
    application.lender = lender
    application.lender_reference = (current["lender_reference"] or "").strip()[:60]
    for name in ("cash_price", "deposit", "part_exchange", "amount_financed", "term_months", "apr", "monthly_payment"):
        setattr(application, name, getattr(quote, name))
    application.save()
    return application


@transaction.atomic
def application_move(
    *, user: User, application_id: int, to_status: str, note: str = "", car_outcome: str = KEEP, lender_reference: str = ""
) -> FinanceApplication:
    """Take an application to its next state, as the workflow allows.

    Declining or withdrawing asks what happens to the car (`car_outcome`): nothing, or
    back to reserved or listed, undoing its sale if it was sold on this finance.
    Funding needs the car sold on finance to this customer and no other funded
    application; the other open applications for the car are then withdrawn.
    """
    _require(user, "finance.change_financeapplication")
    application = _locked_application(user, application_id)
    if to_status not in Status.values:
        raise ValidationError({"to_status": f"Unknown state {to_status!r}."})
    if to_status not in TRANSITIONS[application.status]:
        raise conflict(
            "to_status",
            f"An application that is {application.get_status_display().lower()} cannot become {Status(to_status).label.lower()}.",
        )
    note = note.strip()
    if to_status in (Status.DECLINED, Status.REFERRED) and not note:
        raise ValidationError({"note": "Say what the lender said."})
    if to_status == Status.WITHDRAWN and not note:
        raise ValidationError({"note": "Say why the application is withdrawn."})
    if car_outcome not in CAR_OUTCOMES or (car_outcome != KEEP and to_status not in ENDINGS):
        raise ValidationError({"car_outcome": "Choose what happens to the car: keep it, or back to reserved or listed."})
    sale = Sale.objects.filter(car_id=application.car_id).first()
    if to_status == Status.FUNDED:
        if sale is None or sale.payment != Payment.FINANCE:
            raise ValidationError({"to_status": "Record the sale on finance first: the lender pays out for a sold car."})
        if sale.customer_id != application.customer_id:
            raise ValidationError({"to_status": "The car was sold to another customer."})
        if FinanceApplication.objects.filter(car_id=application.car_id, status=Status.FUNDED).exists():
            raise ValidationError({"to_status": "Another application for this car is already funded; only one can be."})
        if mismatch := _mismatch_with_sale(cash_price=application.cash_price, part_exchange=application.part_exchange, sale=sale):
            raise ValidationError({"to_status": f"{mismatch} This application's figures differ: withdraw it and apply again."})
    if to_status == Status.SUBMITTED and not application.lender.is_active:
        raise ValidationError({"to_status": f"The group no longer works with {application.lender}; choose another lender."})

    now = timezone.now()
    from_status = application.status
    application.status = to_status
    application.status_changed_at = now
    application.waiting_due_at = now + application.lender.typical_decision_time if to_status in WITH_LENDER else None
    application.waiting_flagged_at = None
    if lender_reference.strip():
        application.lender_reference = lender_reference.strip()[:60]
    if to_status == Status.SUBMITTED and application.submitted_at is None:
        application.submitted_at = now
    if to_status in (Status.APPROVED, Status.DECLINED) and application.decided_at is None:
        application.decided_at, application.decision = now, to_status
    if to_status == Status.FUNDED:
        application.funded_at = now
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        # Two people funding two applications for one car at once: the constraint holds.
        raise ValidationError({"to_status": "Another application for this car is already funded; only one can be."})
    _record(application, from_status=from_status, user=user, note=note[:1000], now=now)

    if to_status == Status.FUNDED:
        applications_withdraw_for_car(
            user=user, car_id=application.car_id, note=f"Another application for this car was funded ({application.lender})."
        )
    if to_status in ENDINGS and car_outcome != KEEP:
        _car_back(user=user, application=application, sale=sale, to_phase=car_outcome, note=note)
    if to_status in LENDER_DECISIONS:
        _tell_salesperson(application, by=user, title=f"{application.lender} {Status(to_status).label.lower()} "
                                                       f"{application.customer.name}'s finance", body=note)
    return application


def _car_back(*, user: User, application: FinanceApplication, sale: Sale | None, to_phase: str, note: str) -> None:
    from ifixit.inventory import services as inventory

    why = f"{application.lender} finance {application.get_status_display().lower()}" + (f": {note}" if note else "")
    if sale is not None:
        if sale.customer_id != application.customer_id:
            raise ValidationError({"car_outcome": "The car was sold to another customer; its sale stays."})
        if FinanceApplication.objects.filter(car_id=application.car_id, status__in=OPEN).exists():
            raise ValidationError(
                {"car_outcome": "Another application for this car is still open; keep the sale until it is decided."}
            )
        inventory.sale_unwind(user=user, car_id=application.car_id, to_phase=to_phase, note=why)
    elif application.car.phase != to_phase:
        inventory.car_change_phase(user=user, car_id=application.car_id, to_phase=to_phase, note=why)


def applications_withdraw_for_car(*, user: User, car_id: int, note: str) -> int:
    """Withdraw every open application for a car (its sale went another way)."""
    now = timezone.now()
    count = 0
    for application in FinanceApplication.objects.select_for_update().filter(car_id=car_id, status__in=OPEN):
        from_status = application.status
        application.status = Status.WITHDRAWN
        application.status_changed_at = now
        application.waiting_due_at = application.waiting_flagged_at = None
        application.save(update_fields=["status", "status_changed_at", "waiting_due_at", "waiting_flagged_at"])
        _record(application, from_status=from_status, user=user, note=note[:1000], now=now)
        count += 1
    return count


def _recipients(application: FinanceApplication) -> list[User]:
    """The salesperson, while they still work at the application's location; else its managers."""
    person = application.salesperson
    if person is not None and person.is_active and (
        person.role == roles.ADMIN or person.locations.filter(pk=application.location_id).exists()
    ):
        return [person]
    return list(User.objects.filter(is_active=True, role=roles.MANAGER, locations=application.location_id))


def _tell_salesperson(application: FinanceApplication, *, by: User | None, title: str, body: str = "", dedupe_key: str = "") -> None:
    for recipient in _recipients(application):
        if by is not None and recipient.pk == by.pk:
            continue  # they recorded it themselves
        notify(
            recipient=recipient,
            kind="finance_update",
            title=title,
            body=body,
            link=reverse("finance_application_detail", args=[application.pk]),
            location=application.location,
            dedupe_key=dedupe_key,
        )


def applications_flag_waiting(*, now: datetime | None = None) -> int:
    """Tell the salesperson about each application that has waited longer than its
    lender usually takes, once per state it waits in. Claimed row by row with a
    conditional update, so a duplicate beat tells nobody twice."""
    now = now or timezone.now()
    due = FinanceApplication.objects.filter(status__in=WITH_LENDER, waiting_due_at__lt=now, waiting_flagged_at__isnull=True)
    told = 0
    for application in due.select_related("lender", "customer", "salesperson", "location").order_by("waiting_due_at")[:500]:
        with transaction.atomic():
            claimed = FinanceApplication.objects.filter(
                pk=application.pk, status=application.status, status_changed_at=application.status_changed_at,
                waiting_flagged_at__isnull=True,
            ).update(waiting_flagged_at=now)
            if not claimed:
                continue
            waited = now - application.status_changed_at
            _tell_salesperson(
                application,
                by=None,
                title=f"{application.customer.name}'s finance has been {application.get_status_display().lower()} "
                      f"with {application.lender} for {_hours(waited)}",
                body=f"{application.lender} usually answers within {application.lender.typical_decision_hours} hours."
                     + (f" Call them on {application.lender.phone}." if application.lender.phone else ""),
                dedupe_key=f"finance-waiting:{application.pk}:{application.status}:{application.status_changed_at.timestamp():.0f}",
            )
            told += 1
    return told


def _hours(delta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"
