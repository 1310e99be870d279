"""Believable finance demo data, laid over the inventory and customer-care demos, for
`manage.py seed_demo`.

Six lenders, one of which no longer takes new business; how each demo sale was paid
(about two in five on finance and three in ten with a part-exchange, in every month and
at every location); and every finance sale's applications with their whole history:
often a decline at one lender before an approval at another, sometimes a referral for
payslips, now and then two lenders asked at once. A delivered finance sale was funded
first. The latest few wait on their lender, some longer than it usually takes, a few
reserved cars have applications for customers holding them, and a few sales went to
cash after the finance was declined, so every state of the workflow is on show.

Built the way the other demos are: one seeded `Random`, dates relative to now, a plan
made in memory and written with bulk inserts. What the services would enforce holds by
construction: the figures add up and the monthly payment is the calculator's; every
step is one TRANSITIONS allows and is recorded as an ApplicationEvent; at most one
application per car is funded, for a car sold on finance to that customer; funding
withdraws the car's other open applications, as application_move does.

A finance application is made in the customer's name, so a finance sale needs its
buyer on file. The customer-care demo keeps only the recent buyers on file; the older
sales put on finance here get their buyer put on file too. The sales the customer-care
log says were on finance (or came with a part-exchange) are, and its notes name the
lender and figures of the agreement. As in that demo, nothing is left for the workers:
an application already waiting too long is marked as told.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from random import Random

from django.db import connections, router, transaction
from django.db.models import Count, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.crm import demo_data as crm_demo
from ifixit.crm.models import Communication, Customer
from ifixit.finance import calculator
from ifixit.finance.models import (
    OPEN,
    WITH_LENDER,
    ApplicationEvent,
    FinanceApplication,
    Lender,
    Status,
)
from ifixit.inventory.demo_data import CATALOGUE, LONDON, PLATE_LETTERS
from ifixit.inventory.models import MIN_AMOUNT_FINANCED, Car, Payment, Phase, PhaseChange, Sale
from ifixit.locations.models import Location
from ifixit.money import format_money
from ifixit.phones import normalise_phone

BATCH_SIZE = 500
FINANCE_SHARE = (0.37, 0.47)  # of each month's sales
PART_EXCHANGE_SHARE = (0.26, 0.34)
SWITCHED_TO_CASH_SHARE = 0.02  # finance declined, then paid another way
MIN_BALANCE = Decimal("1500")  # below this, after the part-exchange, nobody bothers with finance
MIN_BORROWING = 2 * MIN_AMOUNT_FINANCED  # a deposit never leaves less than this to finance
ALBION_STOPPED_DAYS_AGO = 290
RESERVED_SHARE = 0.25  # of reserved cars with an application for the customer holding them
RECENT_OPEN_SHARE = 0.035  # of finance sales, the latest, still waiting on their lender...
RECENT_DAYS = 21  # ...sold in the last three weeks...
MIN_RECENT_OPEN = 3  # ...or at least the latest three, whenever they were sold

Kind = Lender.Kind


@dataclass(frozen=True)
class LenderSpec:
    name: str
    kind: str
    contact_name: str
    phone: str  # Ofcom's drama ranges: numbers that reach nobody
    email: str  # on .example (RFC 2606): reaches nobody either
    website: str
    hours: int
    apr: tuple[int, int]  # whole percent; each APR quoted is one of these plus .9, as lenders price
    approves: float  # the share of applications it approves
    reference: str  # how its references begin
    weight: int  # how often it is asked first
    notes: str = ""
    is_active: bool = True


LENDERS = [
    LenderSpec(
        "Northgate Motor Finance", Kind.FINANCE_HOUSE, contact_name="Karen Holroyd", phone="+44 113 496 0412",
        email="dealers@northgatemotorfinance.example", website="https://www.northgatemotorfinance.example",
        hours=4, apr=(8, 14), approves=0.72, reference="NMF", weight=30,
        notes="Area manager visits monthly. Pays out the same day for agreements signed before 3 pm.",
    ),
    LenderSpec(
        "Harbourline Car Finance", Kind.FINANCE_HOUSE, contact_name="Dealer desk", phone="+44 20 7946 0831",
        email="newbusiness@harbourline.example", website="https://www.harbourline.example",
        hours=1, apr=(9, 16), approves=0.68, reference="HCF", weight=26,
        notes="Automated decisions within the hour; a referral goes to an underwriter.",
    ),
    LenderSpec(
        "Calder & Pennine Bank", Kind.BANK, contact_name="Motor finance team", phone="+44 161 496 0275",
        email="motorfinance@calderpennine.example", website="https://www.calderpennine.example",
        hours=24, apr=(5, 9), approves=0.55, reference="CPB", weight=16,
        notes="Lowest rates, for customers with a clean credit file and three years at their address.",
    ),
    LenderSpec(
        "Castlegate Bank", Kind.BANK, contact_name="Simon Ashworth", phone="+44 114 496 0938",
        email="dealer.finance@castlegatebank.example", website="https://www.castlegatebank.example",
        hours=48, apr=(6, 10), approves=0.6, reference="CGB", weight=10,
        notes="Slow to answer, but the best rates on cars over £15,000.",
    ),
    LenderSpec(
        "Redmoor Vehicle Finance", Kind.FINANCE_HOUSE, contact_name="Underwriting", phone="+44 121 496 0564",
        email="underwriting@redmoorvf.example", website="https://www.redmoorvf.example",
        hours=8, apr=(14, 19), approves=0.85, reference="RVF", weight=8,
        notes="Lends to customers with a thin or impaired credit file, at a higher rate: try it after a decline.",
    ),
    # No longer takes new business (its notes say since when); its old applications stay.
    LenderSpec(
        "Albion Auto Credit", Kind.FINANCE_HOUSE, contact_name="", phone="+44 117 496 0127",
        email="dealers@albionautocredit.example", website="https://www.albionautocredit.example",
        hours=12, apr=(9, 15), approves=0.65, reference="AAC", weight=14, is_active=False,
    ),
]
SECOND_CHANCE = "Redmoor Vehicle Finance"  # asked after two declines

TERMS = ((24, 1), (36, 3), (48, 4), (60, 3))
SHORT_TERMS = ((24, 2), (36, 3))  # for small balances

DRAFT_NOTES = [
    "", "", "", "", "Quoted in the showroom; customer happy with the monthly figure.",
    "Customer wants the shortest term they can comfortably afford.",
]
# (what the lender asked for, what was sent back)
REFERRALS = [
    ("Proof of income needed: last three payslips.", "Payslips emailed to the underwriter."),
    ("Proof of address needed: a utility bill from the last three months.", "Utility bill uploaded to the portal."),
    ("Underwriter wants to confirm the customer's employment.", "Employer confirmed by phone; underwriter has it."),
    ("Bank statement for the last month needed.", "Bank statement sent."),
    ("Name differs from the electoral roll: ID needed.", "Copy of the driving licence and passport sent."),
]
APPROVAL_NOTES = ["", "", "Approved as applied for.", "Approved; ID to be checked at signing.",
                  "Approved subject to a signed direct debit mandate."]
DECLINES = [
    "Declined on the credit score.",
    "Declined: affordability (outgoings too high for the payment).",
    "Declined: not on the electoral roll at this address.",
    "Declined: missed payments on the credit file in the last year.",
    "Declined: less than a year at the current address.",
    "Declined: in the current job under three months.",
]
SIGNING_NOTES = ["Agreement signed in the showroom.", "Signed online through the lender's e-sign link.", ""]
BIGGER_DEPOSIT = "Customer added £500 to the deposit to borrow less."
SWITCH_NOTES = [
    "Customer paid the balance by bank transfer instead.",
    "Family lent the customer the money; paid by bank transfer.",
    "Customer paid by debit card after the declines.",
    "Customer took a personal loan from their own bank; paid by bank transfer.",
]

FINANCE_NOTE = re.compile(r"^Finance through (?P<lender>.+): (?P<term>\d+) months, £(?P<deposit>[\d,]+) deposit\.$")
PART_EXCHANGE_NOTE = re.compile(r"^Part-exchange: (?P<car>.+), agreed £(?P<allowance>[\d,]+)\.$")

# The open states shown on the latest finance sales and on reserved cars: (state, waited
# longer than the lender usually takes, a decline at another lender first). The first
# few of each list together hold every open state, for the smallest demos.
LATEST_SALES_OPEN = [
    (Status.CONTRACT_SIGNED, True, False),
    (Status.REFERRED, True, False),
    (Status.APPROVED, False, False),
    (Status.SUBMITTED, True, True),
    (Status.CONTRACT_SIGNED, False, False),
    (Status.SUBMITTED, False, False),
    (Status.DRAFT, False, True),
    (Status.APPROVED, True, False),
    (Status.REFERRED, False, True),
]
RESERVED_OPEN = [
    (Status.DRAFT, False, False),
    (Status.SUBMITTED, True, False),
    (Status.APPROVED, False, False),
    (Status.REFERRED, True, False),
    (Status.DECLINED, False, False),
    (Status.SUBMITTED, False, True),
    (Status.APPROVED, True, False),
    (Status.REFERRED, False, False),
]
FUNDED, SWITCHED = "funded", "switched"  # how a sale's finance ends


# --- the plan ----------------------------------------------------------------------------


@dataclass
class Attempt:
    """One application as planned: its lender and figures, and how far it goes."""

    lender: Lender
    deposit: Decimal
    term: int
    apr: Decimal
    approved: bool
    referral: tuple[str, str] | None = None
    stop: str | None = None  # the state it stays in (an open deal's last application)
    draft_note: str = ""


@dataclass
class Step:
    to: str
    at: datetime
    note: str
    by: User | None


@dataclass
class Planned:
    attempt: Attempt
    steps: list[Step] = field(default_factory=list)
    reference: str = ""

    @property
    def status(self) -> str:
        return self.steps[-1].to

    def add(self, to: str, at: datetime, note: str, by: User | None) -> None:
        self.steps.append(Step(to, at, note, by))


@dataclass
class Deal:
    """A customer's finance for one car: the rounds of applications and how it ends."""

    car: Car
    customer: Customer
    location_id: int
    seller: User
    manager: User
    cash_price: Decimal
    part_exchange: Decimal
    floor: datetime  # nothing happens before: the car on sale, the customer on file
    sale: Sale | None = None
    rounds: list[list[Attempt]] = field(default_factory=list)  # two attempts in a round: two lenders at once
    ending: str = FUNDED  # FUNDED, SWITCHED, or the state the last application stays in
    switch_note: str = ""
    # Filled by the timeline:
    applications: list[Planned] = field(default_factory=list)
    delivered_at: datetime | None = None
    delivered_by: User | None = None
    switched_at: datetime | None = None
    switched_by: User | None = None

    @property
    def sold_at(self) -> datetime | None:
        return self.sale.created_at if self.sale else None

    @property
    def agreement(self) -> Planned | None:
        """The application the customer's finance rests on: the funded one, else the latest."""
        funded = [p for p in self.applications if p.status == Status.FUNDED]
        return funded[0] if funded else (self.applications[-1] if self.applications else None)


@dataclass
class FinanceSummary:
    lenders: int = 0
    inactive_lenders: int = 0
    sales: int = 0
    on_finance: int = 0
    part_exchanges: int = 0
    switched_to_cash: int = 0
    applications: Counter = field(default_factory=Counter)
    events: int = 0
    waiting_too_long: int = 0
    waiting_for_funding: int = 0
    buyers_put_on_file: int = 0

    def line(self) -> str:
        share = f" ({100 * self.on_finance / self.sales:.0f}%)" if self.sales else ""
        states = ", ".join(f"{self.applications.get(s.value, 0)} {s.label.lower()}" for s in Status)
        return (
            f"{self.lenders} lenders ({self.inactive_lenders} no longer used); {self.on_finance} of {self.sales} sales "
            f"on finance{share}, {self.part_exchanges} with a part-exchange, {self.switched_to_cash} switched to cash; "
            f"{sum(self.applications.values())} applications with {self.events} recorded steps ({states}), "
            f"{self.waiting_too_long} waiting too long; "
            f"{self.waiting_for_funding} finance sales waiting for the lender before delivery; "
            f"{self.buyers_put_on_file} earlier finance buyers put on file."
        )


@transaction.atomic
def finance_demo_data_create(*, seed: int = 42, now: datetime | None = None) -> FinanceSummary | None:
    """Add lenders, sales' payments and finance applications to the other demos' data.

    Returns None, writing nothing, if there are finance applications already or no locations.
    """
    if FinanceApplication.objects.exists() or not Location.objects.exists():
        return None
    return _FinancePlanner(rng=Random(f"finance:{seed}"), now=now or timezone.now()).create()


class _FinancePlanner:
    def __init__(self, *, rng: Random, now: datetime):
        self.rng = rng
        self.now = now
        self.albion_stopped = now - timedelta(days=ALBION_STOPPED_DAYS_AGO)
        self.users = {u.pk: u for u in User.objects.filter(is_active=True)}
        self.sellers: dict[int, list[User]] = defaultdict(list)
        self.managers: dict[int, User] = {}
        memberships = User.locations.through.objects.filter(
            user__is_active=True, user__role__in=[roles.SALES, roles.MANAGER]
        ).order_by("user_id", "location_id")
        for location_id, user_id in memberships.values_list("location_id", "user_id"):
            user = self.users[user_id]
            if user.role == roles.MANAGER:
                self.managers.setdefault(location_id, user)
            else:
                self.sellers[location_id].append(user)
        self.specs = {spec.name: spec for spec in LENDERS}
        self.plates = set(Car.objects.exclude(registration="").values_list("registration", flat=True))

    # -- writing

    def create(self) -> FinanceSummary:
        self.lenders = self._write_lenders()
        sales = list(Sale.objects.select_related("car", "customer", "location", "sold_by").order_by("created_at", "pk"))
        self._read_history(sales)
        part_exchanges = self._plan_part_exchanges(sales)
        on_finance, switched = self._plan_payments(sales, part_exchanges)
        new_buyers = self._plan_buyers([s for s in sales if s.pk in on_finance and s.customer_id is None])

        deals = self._plan_sale_deals(sales, on_finance, switched, part_exchanges, new_buyers)
        deals += self._plan_reserved_deals()
        new = {id(customer) for customer in new_buyers.values()}
        for deal in deals:
            if id(deal.customer) in new:  # put on file as the first application was made
                first = min([deal.sold_at] + [p.steps[0].at for p in deal.applications])
                deal.customer.created_at = first - timedelta(minutes=self.rng.randint(5, 30))
        self._write_buyers(new_buyers, deals)
        self._write_sales(sales, part_exchanges, deals)
        self._write_logs(deals, new_buyers)
        self._write_applications(deals)
        return self._summary(sales, len(new_buyers))

    def _write_lenders(self) -> dict[str, Lender]:
        existing = {lender.name: lender for lender in Lender.objects.filter(name__in=self.specs)}
        stopped = timezone.localtime(self.albion_stopped, LONDON)
        created = self.now - timedelta(days=800)  # before the oldest demo sale
        new = []
        for spec in LENDERS:
            if spec.name in existing:
                continue
            notes = spec.notes or (
                f"Stopped taking new business from dealers in {stopped:%B %Y}; "
                "agreements already funded are still serviced."
            )
            new.append(
                Lender(
                    name=spec.name, kind=spec.kind, contact_name=spec.contact_name, phone=normalise_phone(spec.phone),
                    email=spec.email, website=spec.website, typical_decision_hours=spec.hours, notes=notes,
                    is_active=spec.is_active, created_at=created,
                )
            )
        Lender.objects.bulk_create(new)
        return {**existing, **{lender.name: lender for lender in new}}

    def _read_history(self, sales: list[Sale]) -> None:
        """What the other demos already say: when each car went on sale, who reserved it,
        and the customer-care log's notes on finance and part-exchanges."""
        self.sold_change: dict[int, PhaseChange] = {}
        self.on_sale_since: dict[int, datetime] = {}
        self.reserved_by: dict[int, int] = {}
        reserved = list(Car.objects.filter(phase=Phase.RESERVED, asking_price__isnull=False).order_by("pk"))
        self.reserved_cars = reserved
        previous: dict[int, PhaseChange] = {}
        histories = PhaseChange.objects.filter(car__phase__in=[Phase.SOLD, Phase.RESERVED])
        for change in histories.order_by("car_id", "changed_at", "id"):
            if change.to_phase == Phase.SOLD:
                self.sold_change[change.car_id] = change
                if change.car_id in previous:
                    self.on_sale_since[change.car_id] = previous[change.car_id].changed_at
            previous[change.car_id] = change
        for car in reserved:
            self.reserved_by[car.pk] = previous[car.pk].changed_by_id if car.pk in previous else None

        self.finance_notes: dict[int, Communication] = {}
        self.part_exchange_notes: dict[int, Communication] = {}
        buyers = {s.car_id: s.customer_id for s in sales if s.customer_id}
        notes = Communication.objects.filter(
            Q(body__startswith="Finance through ") | Q(body__startswith="Part-exchange: "),
            channel=Communication.Channel.NOTE, car__sale__isnull=False,
        ).order_by("pk")
        for note in notes:
            if buyers.get(note.car_id) != note.customer_id:
                continue
            if FINANCE_NOTE.match(note.body):
                self.finance_notes[note.car_id] = note
            elif PART_EXCHANGE_NOTE.match(note.body):
                self.part_exchange_notes[note.car_id] = note

    # -- how each sale was paid

    def _plan_part_exchanges(self, sales: list[Sale]) -> dict[int, tuple[Decimal, str, str]]:
        """(allowance, registration, description) by sale: those the log mentions, and
        others to make about three in ten of each month's sales."""
        rng = self.rng
        noted = {}
        for sale in sales:
            note = self.part_exchange_notes.get(sale.car_id)
            if note is not None:
                found = PART_EXCHANGE_NOTE.match(note.body)
                allowance = Decimal(found["allowance"].replace(",", ""))
                if allowance <= sale.price - MIN_BALANCE:
                    noted[sale.pk] = found["car"]
        # A sale whose log mentions a part-exchange too big to be true here gets none rather than another.
        chosen = self._pick_by_month(
            sales, PART_EXCHANGE_SHARE, set(noted),
            lambda s: s.price >= 2 * MIN_BALANCE and s.car_id not in self.part_exchange_notes,
        )
        plans = {}
        for sale in sales:
            if sale.pk not in chosen:
                continue
            if sale.pk in noted:
                note = PART_EXCHANGE_NOTE.match(self.part_exchange_notes[sale.car_id].body)
                year = int(note["car"][:4]) if note["car"][:4].isdigit() else sale.sold_on.year - 8
                allowance = Decimal(note["allowance"].replace(",", ""))
                described, age = note["car"], sale.sold_on.year - year + 0.5
                mileage = self._mileage(age)
            else:
                year = max(2004, min(sale.car.year - rng.randint(2, 8), sale.sold_on.year - 1))
                # The catalogue's first years are those of the demo's stock; the older models were on sale long before.
                specs = [m for m in CATALOGUE if m.first_year <= max(year, 2010)]
                spec = rng.choices(specs, [m.popularity for m in specs])[0]
                age = sale.sold_on.year - year + 0.5
                value = spec.new_price * 0.55 * 0.86**age * rng.uniform(0.85, 1.15)
                cap = min(sale.price * Decimal("0.6"), sale.price - MIN_BALANCE)
                allowance = min(cap, max(Decimal(250), Decimal(50 * round(value / 50))))
                allowance = (allowance / 50).to_integral_value(rounding=ROUND_FLOOR) * 50
                described = f"{year} {spec.make} {spec.model}"
                mileage = self._mileage(age)
            registration = self._plate(year, rng.randint(1, 12))
            plans[sale.pk] = (allowance.quantize(Decimal("0.01")), registration, f"{described}, {mileage:,} miles")
        return plans

    def _plan_payments(self, sales: list[Sale], part_exchanges: dict) -> tuple[set[int], set[int]]:
        """Which sales were on finance (those the log says, and others to make about two
        in five of each month's), and which went to cash after finance was declined."""
        business = set(Customer.objects.filter(kind=Customer.Kind.BUSINESS).values_list("pk", flat=True))

        def can_finance(sale: Sale) -> bool:
            balance = sale.price - part_exchanges.get(sale.pk, (Decimal(0),))[0]
            return sale.customer_id not in business and balance >= MIN_BALANCE

        noted = {s.pk for s in sales if s.car_id in self.finance_notes and can_finance(s)}
        on_finance = self._pick_by_month(sales, FINANCE_SHARE, noted, can_finance)
        # Long enough ago for the declines, the switch and the handover to be over.
        settled = self.now - timedelta(days=10)
        candidates = [
            s for s in sales
            if s.pk not in on_finance and s.customer_id and can_finance(s) and s.created_at < settled
        ]
        switched = set()
        if candidates:
            count = max(1, round(SWITCHED_TO_CASH_SHARE * len(sales)))
            switched = {s.pk for s in self.rng.sample(candidates, min(count, len(candidates)))}
        return on_finance, switched

    def _pick_by_month(self, sales: list[Sale], share: tuple[float, float], must: set[int], eligible) -> set[int]:
        by_month: dict[tuple[int, int], list[Sale]] = defaultdict(list)
        for sale in sales:
            by_month[(sale.sold_on.year, sale.sold_on.month)].append(sale)
        chosen = set()
        for month in sorted(by_month):
            group = by_month[month]
            target = max(1, round(len(group) * self.rng.uniform(*share)))
            musts = [s.pk for s in group if s.pk in must]
            rest = [s for s in group if s.pk not in must and eligible(s)]
            more = max(0, target - len(musts))
            chosen.update(musts)
            chosen.update(s.pk for s in self.rng.sample(rest, min(more, len(rest))))
        return chosen

    # -- buyers put on file for their finance

    def _plan_buyers(self, sales: list[Sale]) -> dict[int, Customer]:
        """A customer record for each older finance sale's buyer, as the salesperson
        would have typed it in for the application (no marketing consent asked)."""
        rng = self.rng
        names = {n.lower() for n in Customer.objects.values_list("name", flat=True)}
        emails = set(Customer.objects.exclude(email="").values_list("email", flat=True))
        phones = set(Customer.objects.exclude(phone="").values_list("phone", flat=True))
        buyers = {}
        for sale in sales:
            name = sale.buyer_name
            while not name or name.lower() in names:
                name = f"{rng.choice(crm_demo.FIRST_NAMES)} {rng.choice(crm_demo.SURNAMES)}"
            names.add(name.lower())
            first, _, last = name.partition(" ")
            roll = rng.random()
            email = phone = ""
            if roll >= 0.08:
                local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalpha() or ch == ".")
                domain = rng.choice(crm_demo.EMAIL_DOMAINS)
                email = f"{local}@{domain}"
                while email in emails:
                    email = f"{local}{rng.randint(2, 999)}@{domain}"
                emails.add(email)
            if roll < 0.08 or roll >= 0.15:
                while not phone or phone in phones:
                    phone = normalise_phone(f"+44{rng.choice(crm_demo.PHONE_PREFIXES)}{rng.randint(0, 999999):06d}")
                phones.add(phone)
            towns = crm_demo.TOWNS.get(sale.location.code) or [t for group in crm_demo.TOWNS.values() for t in group]
            town, outward, _ = rng.choices(towns, [w for *_, w in towns])[0]
            inward = "".join(rng.choice(crm_demo.POSTCODE_INWARD_LETTERS) for _ in range(2))
            buyers[sale.pk] = Customer(
                kind=Customer.Kind.PERSON, name=name, email=email, phone=phone,
                address_line1=f"{rng.randint(1, 160)} {rng.choice(crm_demo.STREETS)}", town=town,
                postcode=f"{rng.choice(outward)} {rng.randint(0, 9)}{inward}", created_by=sale.sold_by,
            )
        return buyers

    # -- the deals

    def _plan_sale_deals(self, sales, on_finance, switched, part_exchanges, new_buyers) -> list[Deal]:
        financed = [s for s in sales if s.pk in on_finance]
        newest_first = sorted(financed, key=lambda s: (s.created_at, s.pk), reverse=True)
        recent = [s for s in newest_first if s.created_at >= self.now - timedelta(days=RECENT_DAYS)]
        wanted = max(MIN_RECENT_OPEN, round(RECENT_OPEN_SHARE * len(newest_first)))
        waiting = recent[:wanted] if len(recent) >= MIN_RECENT_OPEN else newest_first[:MIN_RECENT_OPEN]
        still_open = {}
        for i in range(len(waiting)):
            target = LATEST_SALES_OPEN[i % len(LATEST_SALES_OPEN)]
            # An agreement is signed once the sale is recorded: that takes a sale of yesterday or before.
            signed = target[0] == Status.CONTRACT_SIGNED
            sale = next((s for s in waiting if not signed or s.created_at < self.now - timedelta(days=1)), waiting[0])
            waiting.remove(sale)
            still_open[sale.pk] = target
        deals = []
        for sale in sales:
            if sale.pk not in on_finance and sale.pk not in switched:
                continue
            customer = sale.customer or new_buyers[sale.pk]
            floor = self.on_sale_since.get(sale.car_id, sale.created_at - timedelta(days=3))
            if sale.customer_id:  # a buyer new to the group walked in shortly before buying
                floor = max(floor, sale.customer.created_at)
            deal = Deal(
                car=sale.car, customer=customer, location_id=sale.location_id,
                seller=sale.sold_by or self._seller(sale.location_id), manager=self._manager(sale.location_id),
                cash_price=sale.price, part_exchange=part_exchanges.get(sale.pk, (Decimal("0"),))[0], floor=floor,
                sale=sale,
            )
            hint = self.finance_notes.get(sale.car_id)
            if sale.pk in switched:  # declined, then a last try still open when the customer paid another way
                deal.ending, deal.switch_note = SWITCHED, self.rng.choice(SWITCH_NOTES)
                self._plan_rounds(deal, hint=None, declines=self.rng.choice((1, 2)), last=Status.SUBMITTED)
                self._run(deal, start=self._start_before_sale(deal))
                self._cut_at_now(deal)
            elif sale.pk in still_open:
                state, late, declined_first = still_open[sale.pk]
                deal.ending = state
                self._plan_rounds(deal, hint=hint, declines=int(declined_first), last=state, patient=not late)
                self._place(deal, state, late)
            else:
                self._plan_rounds(deal, hint=hint)
                self._run(deal, start=self._start_before_sale(deal))
                self._cut_at_now(deal)
            deals.append(deal)
        return deals

    def _plan_reserved_deals(self) -> list[Deal]:
        """Applications for the customer holding a reserved car: one who has enquired
        at that location and not bought yet, else one who bought there before."""
        rng = self.rng
        cars = list(self.reserved_cars)
        rng.shuffle(cars)
        wanted = min(len(cars), max(len(RESERVED_OPEN) // 2, round(RESERVED_SHARE * len(cars))))
        enquirers, buyers = defaultdict(list), defaultdict(list)
        people = (
            Customer.objects.filter(kind=Customer.Kind.PERSON, merged_into__isnull=True)
            .annotate(bought=Count("purchases")).prefetch_related("locations").order_by("pk")
        )
        for customer in people:
            for location in customer.locations.all():
                (buyers if customer.bought else enquirers)[location.pk].append(customer)
        used = set()
        deals = []
        for car in cars:
            if len(deals) == wanted:
                break
            reserved_at = car.phase_changed_at
            choices = [
                c for c in enquirers.get(car.location_id, []) or buyers.get(car.location_id, [])
                if c.pk not in used and c.created_at < reserved_at
            ]
            if not choices:
                continue
            customer = rng.choice(choices)
            used.add(customer.pk)
            state, late, declined_first = RESERVED_OPEN[len(deals) % len(RESERVED_OPEN)]
            seller = self.users.get(self.reserved_by.get(car.pk)) or self._seller(car.location_id)
            deal = Deal(
                car=car, customer=customer, location_id=car.location_id, seller=seller,
                manager=self._manager(car.location_id), cash_price=car.asking_price,
                part_exchange=Decimal("0"), floor=max(reserved_at, customer.created_at), ending=state,
            )
            if rng.random() < 0.3:
                deal.part_exchange = Decimal(50 * rng.randint(10, 60))
                if car.asking_price - deal.part_exchange < MIN_BALANCE:
                    deal.part_exchange = Decimal("0")
            self._plan_rounds(deal, hint=None, declines=int(declined_first), last=state, patient=not late)
            self._place(deal, state, late)
            deals.append(deal)
        return deals

    def _plan_rounds(
        self,
        deal: Deal,
        *,
        hint: Communication | None,
        declines: int = 0,
        last: str | None = None,
        patient: bool = False,
    ) -> None:
        """The applications, in rounds: a round is one lender, or now and then two at
        once; a round with no approval leads to the next. With `last`, the deal ends
        with an application left in that state after `declines` declined rounds, with a
        lender that takes a day or more if `patient` (so it is still within its time)."""
        rng = self.rng
        balance = deal.cash_price - deal.part_exchange
        term, deposit = None, None
        if hint is not None:
            found = FINANCE_NOTE.match(hint.body)
            term, deposit = int(found["term"]), Decimal(found["deposit"].replace(",", ""))
        no_deposit = rng.random() < 0.25
        drawn = Decimal(0) if no_deposit else Decimal(50 * round(float(balance) * rng.uniform(0.05, 0.2) / 50))
        deposit = min(drawn if deposit is None else deposit, balance - MIN_BORROWING)
        if term is None:
            terms = SHORT_TERMS if balance < 4000 else TERMS
            term = rng.choices([t for t, _ in terms], [w for _, w in terms])[0]
        was_before = deal.sold_at is not None and deal.sold_at < self.albion_stopped
        available = [lender for lender in self.lenders.values() if lender.is_active or was_before]
        tried: list[Lender] = []

        def attempt(approved: bool, stop: str | None = None) -> Attempt:
            fresh = [lender for lender in available if lender not in tried] or available
            if stop is not None and patient:
                fresh = [lender for lender in fresh if lender.typical_decision_hours >= 24] or fresh
            if len(tried) >= 2 and any(lender.name == SECOND_CHANCE for lender in fresh):
                lender = next(lender for lender in fresh if lender.name == SECOND_CHANCE)
            else:
                lender = rng.choices(fresh, [self.specs[lender.name].weight for lender in fresh])[0]
            tried.append(lender)
            low, high = self.specs[lender.name].apr
            referral = rng.choice(REFERRALS) if rng.random() < 0.15 else None
            return Attempt(
                lender=lender, deposit=deposit, term=term, apr=Decimal(f"{rng.randint(low, high)}.9"),
                approved=approved, referral=referral, stop=stop, draft_note=rng.choice(DRAFT_NOTES),
            )

        if last is None:  # funded in the end, the third round at the latest
            for i in range(3):
                round_ = [attempt(approved=False) for _ in range(2 if i == 0 and rng.random() < 0.1 else 1)]
                for a in round_:
                    a.approved = i == 2 or rng.random() < self.specs[a.lender.name].approves
                deal.rounds.append(round_)
                if any(a.approved for a in round_):
                    break
                if rng.random() < 0.3 and balance - deposit - 500 >= MIN_BORROWING:
                    deposit += 500
        else:
            for _ in range(declines):
                deal.rounds.append([attempt(approved=False)])
            deal.rounds.append([attempt(approved=last in (Status.APPROVED, Status.CONTRACT_SIGNED), stop=last)])

    # -- when things happened

    def _start_before_sale(self, deal: Deal) -> datetime:
        """The first application: the day of the sale or a few days before, once the car was on sale."""
        rng = self.rng
        same_day = rng.random() < 0.55
        lead = timedelta(hours=rng.uniform(1, 5)) if same_day else timedelta(days=rng.uniform(1, 6))
        start = deal.sold_at - lead
        if start < deal.floor + timedelta(minutes=15):
            start = deal.floor + (deal.sold_at - deal.floor) * rng.uniform(0.3, 0.9)
        return start

    def _place(self, deal: Deal, state: str, late: bool) -> None:
        """Run an open deal so that its last application has been in `state` for a while
        now: longer than its lender usually takes if `late`."""
        rng = self.rng
        hours = self.specs[deal.rounds[-1][-1].lender.name].hours
        if state in WITH_LENDER:
            factor = rng.uniform(1.6, 3.0) if late else rng.uniform(0.15, 0.7)
            wait = timedelta(hours=hours * factor) + (timedelta(hours=rng.uniform(14, 20)) if late else timedelta(0))
        else:
            wait = timedelta(hours=rng.uniform(0.5, 30))
        target = self._back_into_hours(self.now - wait)
        # A trial run finds how long the steps before `state` take; the real run starts
        # that much before the target, drawing the very same numbers.
        state_before = rng.getstate()
        guess = target - timedelta(days=2)
        self._run(deal, start=guess)
        entered = deal.applications[-1].steps[-1].at
        start = max(guess + (target - entered), deal.floor + timedelta(minutes=10))
        for _ in range(4):
            rng.setstate(state_before)
            self._run(deal, start=start)
            if deal.applications and deal.applications[-1].steps[-1].at <= self.now:
                break
            if start <= deal.floor + timedelta(minutes=10):
                break  # never before the car was reserved: steps still ahead of now are cut below
            # Just after midnight "a day earlier" can fall before the reservation itself.
            start = max(start - timedelta(days=1), deal.floor + timedelta(minutes=10))
        self._cut_at_now(deal)

    def _run(self, deal: Deal, *, start: datetime) -> None:
        """Give every step of the deal its moment, from `start`, now or not (see
        _cut_at_now). Draws the same numbers whatever the start, so a deal can be run
        again from another."""
        rng = self.rng
        deal.applications = []
        deal.delivered_at = deal.delivered_by = deal.switched_at = deal.switched_by = None
        seller, manager = deal.seller, deal.manager
        t = start
        winner = None
        deposit_before = deal.rounds[0][0].deposit
        for round_ in deal.rounds:
            drafted = t
            last_moment = t
            for i, attempt in enumerate(round_):
                planned = Planned(attempt)
                draft = self._open_hours(drafted + timedelta(minutes=i * rng.randint(4, 15)))
                note = BIGGER_DEPOSIT if attempt.deposit > deposit_before else attempt.draft_note
                deposit_before = attempt.deposit
                planned.add(Status.DRAFT, draft, note, seller)
                submitted = self._open_hours(draft + timedelta(minutes=rng.randint(5, 40)))
                lender_hours = self.specs[attempt.lender.name].hours
                if attempt.referral:
                    referred = self._lender_hours(submitted + self._decision_time(lender_hours))
                    resubmitted = self._open_hours(referred + timedelta(hours=rng.uniform(1, 30)))
                    decided = self._lender_hours(resubmitted + self._decision_time(lender_hours) * 0.6)
                else:
                    referred = resubmitted = None
                    decided = self._lender_hours(submitted + self._decision_time(lender_hours))
                decision_note = rng.choice(APPROVAL_NOTES) if attempt.approved else rng.choice(DECLINES)
                recorder = manager if rng.random() < 0.2 else seller
                planned.reference = f"{self.specs[attempt.lender.name].reference}-{rng.randint(1000000, 9999999)}"
                stop = attempt.stop
                if stop != Status.DRAFT:
                    planned.add(Status.SUBMITTED, submitted, "", seller)
                    if attempt.referral and stop != Status.SUBMITTED:
                        planned.add(Status.REFERRED, referred, attempt.referral[0], recorder)
                        if stop != Status.REFERRED:
                            planned.add(Status.SUBMITTED, resubmitted, attempt.referral[1], seller)
                    elif stop == Status.REFERRED:  # a referral is what this one waits on
                        planned.add(Status.REFERRED, decided, rng.choice(REFERRALS)[0], recorder)
                    if stop not in (Status.SUBMITTED, Status.REFERRED):
                        decision = Status.APPROVED if attempt.approved else Status.DECLINED
                        planned.add(decision, decided, decision_note, recorder)
                deal.applications.append(planned)
                last_moment = max(last_moment, planned.steps[-1].at)
                if attempt.approved and stop in (None, Status.CONTRACT_SIGNED) and (
                    winner is None or attempt.apr < winner.attempt.apr
                ):
                    winner = planned
            t = self._open_hours(last_moment + timedelta(minutes=rng.randint(15, 20 * 60)))

        # After the lender's answer: signing, the payout, the handover.
        sign_gap = timedelta(minutes=rng.randint(10, 180))
        come_back = timedelta(hours=rng.uniform(1, 26))
        payout = timedelta(hours=rng.uniform(1, 30))
        handover = timedelta(minutes=rng.randint(20, 30 * 60))
        signing_note = rng.choice(SIGNING_NOTES)
        funder = manager if rng.random() < 0.5 else seller
        deliverer = manager if rng.random() < 0.2 else seller
        switch_gap = timedelta(hours=rng.uniform(3, 72))
        if deal.ending in (FUNDED, Status.CONTRACT_SIGNED) and winner is not None:
            approved_at = winner.steps[-1].at
            if deal.sold_at is not None and approved_at <= deal.sold_at:
                signed = self._open_hours(deal.sold_at + sign_gap)
            else:
                signed = self._open_hours(max(approved_at, deal.sold_at or approved_at) + come_back)
            winner.add(Status.CONTRACT_SIGNED, signed, signing_note, seller)
            if deal.ending == FUNDED:
                funded = self._lender_hours(signed + payout, weekdays=True)
                lender = winner.attempt.lender.name
                paid = deal.cash_price - winner.attempt.deposit - deal.part_exchange
                winner.add(Status.FUNDED, funded, f"{lender} paid out {format_money(paid, 2)}.", funder)
                # The very words applications_withdraw_for_car records.
                note = f"Another application for this car was funded ({lender})."
                self._withdraw_others(deal, winner, funded + timedelta(seconds=1), note, funder)
                deal.delivered_at = self._open_hours(funded + handover)
                deal.delivered_by = deliverer
        elif deal.ending == SWITCHED:
            last = max(step.at for planned in deal.applications for step in planned.steps)
            switched = self._open_hours(max(last, deal.sold_at) + switch_gap)
            deal.switched_at, deal.switched_by = switched, seller
            self._withdraw_others(deal, None, switched, f"The sale was switched to cash: {deal.switch_note}", seller)
            deal.delivered_at = self._open_hours(switched + handover)
            deal.delivered_by = deliverer

    def _withdraw_others(self, deal: Deal, winner: Planned | None, at: datetime, note: str, by: User) -> None:
        """As application_move does on funding (and sale_switch_to_cash): every other
        application still open then is withdrawn; what it would have heard later, it never does."""
        for planned in deal.applications:
            if planned is winner:
                continue
            planned.steps = [step for step in planned.steps if step.at < at]
            if planned.steps and planned.status in OPEN:
                planned.add(Status.WITHDRAWN, at, note, by)
        deal.applications = [planned for planned in deal.applications if planned.steps]

    def _cut_at_now(self, deal: Deal) -> None:
        """Nothing after now: a step still to come has not happened yet."""
        for planned in deal.applications:
            planned.steps = [step for step in planned.steps if step.at <= self.now]
        deal.applications = [planned for planned in deal.applications if planned.steps]
        if deal.delivered_at is not None and (deal.delivered_at > self.now or (
            deal.ending == FUNDED and not any(p.status == Status.FUNDED for p in deal.applications)
        )):
            deal.delivered_at = deal.delivered_by = None
        if deal.switched_at is not None and deal.switched_at > self.now:
            deal.switched_at = deal.switched_by = None
            deal.delivered_at = deal.delivered_by = None

    def _back_into_hours(self, moment: datetime, opens: time = time(8, 30), closes: time = time(19, 0)) -> datetime:
        """The last moment of the showroom's hours at or before this one."""
        local = timezone.localtime(moment, LONDON)
        if local.time() > closes:
            return datetime.combine(local.date(), closes, tzinfo=LONDON) - timedelta(minutes=5)
        if local.time() < opens:
            return datetime.combine(local.date() - timedelta(days=1), closes, tzinfo=LONDON) - timedelta(minutes=5)
        return moment

    def _decision_time(self, hours: int) -> timedelta:
        """About the lender's usual time; one answer in seven much later."""
        rng = self.rng
        slow = rng.random() < 0.15
        stretch = rng.uniform(1.5, 3.0)
        taken = hours * rng.lognormvariate(-0.2, 0.45) * (stretch if slow else 1)
        return timedelta(minutes=max(3, round(taken * 60)))

    def _open_hours(self, moment: datetime) -> datetime:
        """The showroom's hours (every day): a later moment moves to the next morning."""
        return self._within(moment, time(8, 30), time(19, 0), weekdays=False)

    def _lender_hours(self, moment: datetime, *, weekdays: bool = False) -> datetime:
        """When the lender answers; payouts only on working days."""
        return self._within(moment, time(8, 0), time(20, 0), weekdays=weekdays)

    def _within(self, moment: datetime, opens: time, closes: time, *, weekdays: bool) -> datetime:
        """The moment, if open then; else a little after the next opening."""
        settle = timedelta(minutes=self.rng.randint(0, 40))  # drawn always: the draws stay the same
        local = timezone.localtime(moment, LONDON)
        day, clock = local.date(), local.time()
        if opens <= clock <= closes and not (weekdays and day.weekday() >= 5):
            return moment
        if clock > closes:
            day += timedelta(days=1)
        while weekdays and day.weekday() >= 5:
            day += timedelta(days=1)
        return datetime.combine(day, opens, tzinfo=LONDON) + settle

    # -- writing it all

    def _write_buyers(self, buyers: dict[int, Customer], deals: list[Deal]) -> None:
        customers = list(buyers.values())
        for customer in customers:
            customer._history_date = customer.created_at
            customer._history_user = customer.created_by
        bulk_create_with_history(customers, Customer, batch_size=BATCH_SIZE)
        if any(c.pk is None for c in customers):
            raise RuntimeError("the database returned no keys for the demo customers")
        sales = {d.sale.pk: d.sale for d in deals if d.sale is not None}
        Customer.locations.through.objects.bulk_create(
            [
                Customer.locations.through(customer_id=customer.pk, location_id=sales[pk].location_id)
                for pk, customer in buyers.items()
            ],
            batch_size=BATCH_SIZE,
        )

    def _write_sales(self, sales: list[Sale], part_exchanges: dict, deals: list[Deal]) -> None:
        by_sale = {deal.sale.pk: deal for deal in deals if deal.sale is not None}
        changed, notes = [], []
        for sale in sales:
            deal = by_sale.get(sale.pk)
            if sale.pk not in part_exchanges and deal is None:
                continue
            if sale.pk in part_exchanges:
                allowance, registration, described = part_exchanges[sale.pk]
                sale.part_exchange_allowance = allowance
                sale.part_exchange_registration = registration
                sale.part_exchange_description = described
            if deal is not None:
                sale.customer = deal.customer
                sale.buyer_name = deal.customer.name
                sale.payment = Payment.FINANCE
                sale.delivered_at, sale.delivered_by = deal.delivered_at, deal.delivered_by
                if deal.switched_at is not None:
                    sale.payment = Payment.CASH
                    sale.payment_changed_at, sale.payment_changed_by = deal.switched_at, deal.switched_by
                    sale.payment_note = deal.switch_note
            recorded = Sale(price=sale.price, payment=Payment.FINANCE if deal else Payment.CASH,
                            part_exchange_allowance=sale.part_exchange_allowance)
            change = self.sold_change.get(sale.car_id)
            if change is not None:
                change.note = f"Sold for {format_money(sale.price, 2)} ({recorded.payment_display.lower()})"
                notes.append(change)
            changed.append(sale)
        _update_rows(
            Sale,
            changed,
            ["customer", "buyer_name", "payment", "part_exchange_allowance", "part_exchange_registration",
             "part_exchange_description", "delivered_at", "delivered_by", "payment_changed_at", "payment_changed_by",
             "payment_note"],
        )
        _update_rows(PhaseChange, notes, ["note"])

    def _write_logs(self, deals: list[Deal], new_buyers: dict[int, Customer]) -> None:
        """The customer-care notes name the lender and figures the customer's finance rests on."""
        rewritten, added = [], []
        new = {id(c) for c in new_buyers.values()}
        for deal in deals:
            agreement = deal.agreement
            if deal.sale is None or agreement is None or deal.ending == SWITCHED:
                continue
            a = agreement.attempt
            body = f"Finance through {a.lender.name}: {a.term} months, {format_money(a.deposit)} deposit."
            note = self.finance_notes.get(deal.car.pk)
            if note is not None:
                note.body = body
                rewritten.append(note)
            elif id(deal.customer) in new and deal.sold_at + timedelta(minutes=5) <= self.now:
                added.append(
                    Communication(
                        customer=deal.customer, location_id=deal.location_id, car=deal.car,
                        channel=Communication.Channel.NOTE, direction=Communication.Direction.INTERNAL, body=body,
                        user=deal.seller, occurred_at=deal.sold_at + timedelta(minutes=5),
                    )
                )
        _update_rows(Communication, rewritten, ["body"])
        Communication.objects.bulk_create(added, batch_size=BATCH_SIZE)

    def _write_applications(self, deals: list[Deal]) -> None:
        rng = self.rng
        applications, plans = [], []
        for deal in deals:
            for planned in deal.applications:
                a = planned.attempt
                steps = planned.steps
                amount = deal.cash_price - a.deposit - deal.part_exchange
                monthly = calculator.monthly_payment(amount_financed=amount, apr=a.apr, term_months=a.term)
                status, changed_at = steps[-1].to, steps[-1].at
                due = changed_at + a.lender.typical_decision_time if status in WITH_LENDER else None
                told_after = timedelta(minutes=rng.randint(1, 15))  # the beat's next run
                decided = next((s for s in steps if s.to in (Status.APPROVED, Status.DECLINED)), None)
                submitted = next((s for s in steps if s.to == Status.SUBMITTED), None)
                funded = next((s for s in steps if s.to == Status.FUNDED), None)
                applications.append(
                    FinanceApplication(
                        customer=deal.customer, car=deal.car, lender=a.lender, location_id=deal.location_id,
                        salesperson=deal.seller, lender_reference=planned.reference if submitted else "",
                        cash_price=deal.cash_price, deposit=a.deposit, part_exchange=deal.part_exchange,
                        amount_financed=amount, term_months=a.term, apr=a.apr,
                        monthly_payment=monthly,
                        status=status, status_changed_at=changed_at, waiting_due_at=due,
                        # Already waiting too long: the beat has told the salesperson.
                        waiting_flagged_at=due + told_after if due and due + told_after <= self.now else None,
                        submitted_at=submitted.at if submitted else None,
                        decided_at=decided.at if decided else None, decision=decided.to if decided else "",
                        funded_at=funded.at if funded else None,
                        created_at=steps[0].at, created_by=deal.seller,
                    )
                )
                plans.append(planned)
        FinanceApplication.objects.bulk_create(applications, batch_size=BATCH_SIZE)
        if any(a.pk is None for a in applications):
            raise RuntimeError("the database returned no keys for the demo finance applications")
        events = []
        for application, planned in zip(applications, plans):
            previous = ""
            for step in planned.steps:
                events.append(
                    ApplicationEvent(application_id=application.pk, from_status=previous, to_status=step.to,
                                     note=step.note, at=step.at, by=step.by)
                )
                previous = step.to
        ApplicationEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
        self.events = len(events)

    def _summary(self, sales: list[Sale], buyers: int) -> FinanceSummary:
        summary = FinanceSummary(
            lenders=Lender.objects.count(),
            inactive_lenders=Lender.objects.filter(is_active=False).count(),
            sales=len(sales),
            on_finance=sum(1 for s in sales if s.payment == Payment.FINANCE),
            part_exchanges=sum(1 for s in sales if s.part_exchange_allowance > 0),
            switched_to_cash=sum(1 for s in sales if s.payment_changed_at is not None),
            events=self.events,
            waiting_for_funding=sum(1 for s in sales if s.payment == Payment.FINANCE and s.delivered_at is None),
            buyers_put_on_file=buyers,
        )
        summary.applications = Counter(
            dict(FinanceApplication.objects.values_list("status").annotate(n=Count("pk")).order_by())
        )
        summary.waiting_too_long = FinanceApplication.objects.filter(
            status__in=WITH_LENDER, waiting_due_at__lt=self.now
        ).count()
        return summary

    # -- small helpers

    def _seller(self, location_id: int) -> User | None:
        sellers = self.sellers.get(location_id)
        return self.rng.choice(sellers) if sellers else self.managers.get(location_id)

    def _manager(self, location_id: int) -> User | None:
        return self.managers.get(location_id) or self._seller(location_id)

    def _mileage(self, age: float) -> int:
        return int(age * 8000 * self.rng.lognormvariate(0, 0.3) / 100) * 100 + 100

    def _plate(self, year: int, month: int) -> str:
        """A current-format plate whose age identifier fits the registration date."""
        rng = self.rng
        age_id = (year - 1) % 100 + 50 if month <= 2 else year % 100 if month <= 8 else year % 100 + 50
        while True:
            plate = (
                "".join(rng.choice(PLATE_LETTERS) for _ in range(2))
                + f"{age_id:02d}"
                + "".join(rng.choice(PLATE_LETTERS) for _ in range(3))
            )
            if plate not in self.plates:
                self.plates.add(plate)
                return plate


def _update_rows(model, rows: list, fields: list[str]) -> None:
    """Save these fields of each row: one statement run for every row, the values
    prepared by the fields as a save prepares them. bulk_update builds a CASE per row
    and field, which for a few hundred sales was most of this demo's time."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    pk = model._meta.pk
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in columns)} "
        f"WHERE {quote(pk.column)} = %s"
    )
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns]
        + [pk.get_db_prep_value(row.pk, connection)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
