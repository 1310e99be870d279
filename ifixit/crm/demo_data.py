"""Believable customer-care demo data, laid over the inventory demo's sales, for
`manage.py seed_demo`.

About three hundred customers (mostly people, some businesses), a fifth of them
repeat buyers, some at more than one location, and some who have only enquired; the
sales they made; their communication log; each location's follow-up rules with the
follow-ups those made, plus ones staff added by hand; and the satisfaction surveys of
the last eight months' sales.

Built the way inventory.demo_data is: one seeded `Random`, dates relative to today,
a plan made in memory and written with bulk inserts. Nothing is sent while seeding,
and nothing is left for the workers to send afterwards: messages are written as
already delivered (or failed), surveys as scheduled for later, sent or answered, and
follow-ups that fell due before today as already reminded.
"""

import re
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from random import Random

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.crm import services
from ifixit.crm.models import Communication, Customer, FollowUp, FollowUpRule, Survey, Tag
from ifixit.inventory.demo_data import LONDON
from ifixit.inventory.models import RepairItem, Sale
from ifixit.locations.models import Location
from ifixit.phones import normalise_phone

BATCH_SIZE = 500
CUSTOMER_COUNT = 300
MIN_CUSTOMERS = 12
SALES_PER_CUSTOMER = 1.2  # fewer demo sales than this per customer: fewer customers
ENQUIRY_SHARE = 0.12  # customers who have not bought yet
REPEAT_SHARE = 0.20  # customers with two to four purchases
DAYS_BETWEEN_PURCHASES = 90  # a repeat buyer's cars are bought months apart, where the sales allow
EMAIL_CONSENT = 0.42  # of those with an email address
SMS_CONSENT = 0.27  # of those with a mobile number
SURVEY_MONTHS = 8  # the group started sending surveys this long ago
SURVEY_ANSWER_RATE = 0.68

Channel = Communication.Channel
Direction = Communication.Direction
Purpose = Communication.Purpose
Status = Communication.Status
Outcome = FollowUp.Outcome

# --- who the customers are -----------------------------------------------------------

FIRST_NAMES = [
    "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Jacob", "Grace",
    "Noah", "Sophie", "Charlie", "Emily", "Thomas", "Lily", "Muhammad", "Freya", "William", "Evie",
    "Joshua", "Ruby", "Samuel", "Poppy", "Aisha", "Daniel", "Chloe", "Liam", "Hannah", "Connor",
    "Megan", "Ryan", "Zara", "Mohammed", "Priya", "David", "Karen", "Paul", "Julie", "Mark",
    "Stephen", "Susan", "Andrew", "Claire", "Gareth", "Nicola", "Craig", "Joanne", "Darren", "Lisa",
    "Kieran", "Siobhan", "Imran", "Fatima", "Bilal", "Harpreet", "Sunita", "Wojciech", "Agnieszka", "Tariq",
    "Margaret", "Brian", "Pauline", "Graham", "Lorraine", "Keith", "Rebecca", "Adam", "Natalie", "Jordan",
]
SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
    "Patel", "Khan", "Hussain", "Ali", "Lewis", "Harrison", "Hughes", "Edwards", "Turner", "Hill",
    "Moore", "Cooper", "Ward", "Morris", "King", "Baker", "Kaur", "Murphy", "O'Brien", "Kowalski",
    "Shaw", "Holmes", "Atkinson", "Fletcher", "Sutcliffe", "Ackroyd", "Barraclough", "Crowther", "Haigh", "Lockwood",
    "Mahmood", "Akhtar", "Begum", "Singh", "Nowak", "McDonald", "Kelly", "Doyle", "Brennan", "Gallagher",
    "Armitage", "Pickles", "Dobson", "Greenwood", "Hirst", "Whiteley", "Fairclough", "Entwistle", "Ramsden", "Oldroyd",
]
# (name, is a motor trader)
BUSINESSES = [
    ("Aire Valley Lettings Ltd", False), ("Pennine Plumbing & Heating", False), ("Northern Care Services Ltd", False),
    ("Kirkstall Florists", False), ("M62 Couriers Ltd", False), ("Peak District Tours", False),
    ("Steel City Electrical Ltd", False), ("Salford Quays Cleaning Co", False), ("Dales Veterinary Practice", False),
    ("Calder Roofing Ltd", False), ("Red Rose Home Care", False), ("Don Valley Security Ltd", False),
    ("Headingley Dental Care", False), ("Moorland Landscapes", False), ("Chorlton Bakery Ltd", False),
    ("Hallam Property Services", False), ("Wharfedale Windows", False), ("Irwell Logistics Ltd", False),
    ("Brightside Builders", False), ("Stockport Scaffolding Ltd", False), ("Rotherham Accident Repair Centre", False),
    ("Ashton Car Sales", True), ("Bramley Motors", True), ("Hillsborough Autos", True),
    ("Trafford Trade Cars", True), ("A1 Vehicle Sales Ltd", True), ("Ecclesfield Motor Company", True),
]
# Mobile ranges that phonenumbers holds valid (Ofcom's drama range, 07700 900xxx, is not).
PHONE_PREFIXES = [
    "7723", "7812", "7845", "7968", "7403", "7551", "7380", "7446",
    "7590", "7874", "7939", "7752", "7795", "7883", "7507",
]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]  # reserved (RFC 2606): a demo email reaches no one

# Where each location's customers live: (town, outward codes, weight).
TOWNS = {
    "LDS": [
        ("Leeds", ["LS6", "LS7", "LS8", "LS11", "LS12", "LS13", "LS15", "LS17"], 10),
        ("Horsforth", ["LS18"], 2), ("Pudsey", ["LS28"], 2), ("Morley", ["LS27"], 2), ("Garforth", ["LS25"], 1),
        ("Otley", ["LS21"], 1), ("Wetherby", ["LS22"], 1), ("Bradford", ["BD2", "BD3", "BD10"], 2),
        ("Wakefield", ["WF1", "WF2"], 2), ("Harrogate", ["HG1", "HG2"], 1), ("Castleford", ["WF10"], 1),
    ],
    "MAN": [
        ("Manchester", ["M14", "M16", "M19", "M20", "M21", "M40"], 8), ("Salford", ["M5", "M6", "M7"], 3),
        ("Stockport", ["SK1", "SK3", "SK4"], 3), ("Sale", ["M33"], 2), ("Altrincham", ["WA14", "WA15"], 2),
        ("Oldham", ["OL1", "OL4", "OL8"], 2), ("Bolton", ["BL1", "BL3"], 2), ("Bury", ["BL9"], 1),
        ("Rochdale", ["OL11", "OL12"], 1), ("Stretford", ["M32"], 1),
    ],
    "SHF": [
        ("Sheffield", ["S2", "S6", "S7", "S8", "S10", "S11", "S17"], 10), ("Rotherham", ["S60", "S65"], 3),
        ("Barnsley", ["S70", "S75"], 2), ("Chesterfield", ["S40", "S41"], 2), ("Dronfield", ["S18"], 1),
        ("Doncaster", ["DN1", "DN4"], 2), ("Stocksbridge", ["S36"], 1),
    ],
}
POSTCODE_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # never C, I, K, M, O or V
STREETS = [
    "Church Lane", "Station Road", "Victoria Street", "Park Avenue", "Mill Lane", "Manor Road", "Queens Drive",
    "Highfield Road", "Grange Avenue", "Moor Lane", "Springfield Road", "Chapel Street", "Westfield Crescent",
    "Kings Road", "Albert Road", "Beech Grove", "Meadow Way", "Hollins Lane", "Oak Tree Close", "The Green",
    "Woodland Rise", "Cross Street", "Back Lane", "Newlands Drive", "St John's Road", "Hawthorn Avenue",
]
BUILDINGS = ["Riverside Court", "Mill House", "Canal Wharf", "Victoria Mansions", "The Maltings", "Parkside Apartments"]
ESTATES = [
    "Calder Park", "Lowfields Business Park", "Trafford Park", "Parkway Industrial Estate", "Junction 27 Trade Park",
]
CUSTOMER_NOTES = [
    "Prefers a call after 5 pm; works shifts.",
    "Partner also drives the car; both happy to be contacted.",
    "Hard of hearing: prefers SMS to calls.",
    "Came to us on a friend's recommendation.",
    "Has a dog: likes cars with a large boot.",
    "Works from home; best reached on the mobile.",
]
BUSINESS_NOTES = [
    "Invoices to the accounts email; pays by BACS on collection.",
    "Fleet of vans elsewhere; buys cars for the office staff from us.",
    "Trade account: cars sold as seen, no warranty.",
]
WANTS = [
    "a small automatic under £8,000", "a seven-seater", "a diesel estate for towing a caravan",
    "a first car for their daughter", "a hybrid SUV", "a Golf or similar under 50,000 miles",
    "an electric car with a long range", "something cheap to insure for a new driver",
]
FINANCE_LENDERS = ["Close Brothers Motor Finance", "MotoNovo Finance", "Blue Motor Finance", "Startline Motor Finance"]
PART_EXCHANGES = [
    "2011 Ford Fiesta", "2012 Vauxhall Corsa", "2009 Honda Jazz", "2013 Nissan Qashqai", "2010 Volkswagen Golf",
    "2014 Kia Ceed",
]
AFTER_SALE_CALLS = [
    "Tyre pressure warning on since the weekend; talked them through resetting it.",
    "Asked how to pair their phone with the stereo; sent the page of the manual.",
    "The new V5C has not arrived yet; told them it can take four weeks.",
    "Small rattle from the dashboard; asked them to pop in when passing.",
    "Wanted to know when the first service is due; told them 12 months or 10,000 miles.",
    "Second key still not here; chasing the main dealer.",
]
VISITS_BEFORE_SALE = [
    "Test drive of the {car}. Liked it; wants to sleep on it.",
    "Test drive of the {car}. Very keen; asked about finance.",
    "Came to see the {car} with their partner; test drove it twice.",
    "Looked at the {car} and two others; this one was the favourite.",
    "Test drive of the {car}; brought the {pex} to value as a part-exchange.",
]
CALLS_BEFORE_SALE = [
    "Rang about the {car} on AutoTrader; booked a test drive.",
    "Asked whether the {car} has a full service history (it does) and booked a viewing.",
    "Phoned to check the {car} was still available; coming in tomorrow.",
]

# --- follow-ups ----------------------------------------------------------------------

# How a follow-up of each kind turns out: outcome -> (weight, what was noted).
CHECK_IN = {
    Outcome.SPOKE: (55, [
        "Happy with the car; no problems so far.",
        "All good. Asked about servicing: told them 12 months or 10,000 miles.",
        "Loves it. Mentioned a friend might be looking too.",
        "Fine, apart from a rattle from the boot: the parcel shelf clip; talked them through it.",
    ]),
    Outcome.MESSAGE: (15, ["Left a voicemail; they can ring back if anything is wrong."]),
    Outcome.NO_ANSWER: (12, ["No answer, and no voicemail set up."]),
    Outcome.BOOKED: (8, [
        "Tyre pressure light on: booked in for Thursday to check the sensors.",
        "Small chip in the windscreen: booked the repair with our glass supplier.",
    ]),
}
WARRANTY = {
    Outcome.SPOKE: (30, [
        "Took the 12-month extended warranty (£349).",
        "Took the 24-month warranty; paid by card over the phone.",
        "Will think about it and ring back.",
    ]),
    Outcome.NOT_INTERESTED: (35, [
        "Not interested: their own garage looks after the car.",
        "Selling the car privately soon.",
    ]),
    Outcome.MESSAGE: (15, ["Left a message about the extended warranty."]),
    Outcome.NO_ANSWER: (12, ["No answer."]),
    Outcome.BOOKED: (8, ["Booked in for a health check before the warranty ends."]),
}
SERVICE_REMINDER = {
    Outcome.SPOKE: (50, ["Already booked with their local garage.", "Will book it themselves this week."]),
    Outcome.BOOKED: (20, ["Booked the six-month service with our partner garage."]),
    Outcome.MESSAGE: (15, ["Left a message about the six-month service."]),
    Outcome.NO_ANSWER: (15, ["No answer."]),
}
ENQUIRY = {
    Outcome.SPOKE: (40, [
        "Sent three options by email; coming in on Saturday.",
        "Still looking; will ring when something suits.",
    ]),
    Outcome.BOOKED: (20, ["Test drive booked."]),
    Outcome.NOT_INTERESTED: (20, ["Bought elsewhere.", "Decided to keep their old car another year."]),
    Outcome.NO_ANSWER: (20, ["No answer; tried twice."]),
}
AFTER_SALE_TASKS = {
    Outcome.SPOKE: (70, ["Done; they were pleased.", "Sorted."]),
    Outcome.MESSAGE: (20, ["Left a message to say it is done."]),
    Outcome.NO_ANSWER: (10, ["No answer; posted a letter instead."]),
}
COMPLAINT = {
    Outcome.SPOKE: (45, [
        "Apologised; booked the car in to put it right at no cost.",
        "Long chat; refunded the cost of their own garage's repair.",
    ]),
    Outcome.BOOKED: (35, ["Booked in for Monday with a courtesy car."]),
    Outcome.MESSAGE: (20, ["Left a message; will try again tomorrow."]),
}
AFTER_SALE_TASK_NOTES = [
    "Post the second key once it arrives from the main dealer.",
    "Check the new V5C arrived.",
    "Chase the private plate transfer with the DVLA.",
    "Send the cambelt invoice the previous owner left in the car.",
]


@dataclass(frozen=True)
class RuleSpec:
    name: str
    months: int
    days: int
    assign_to: str
    note: str
    outcomes: dict
    codes: tuple[str, ...] | None = None  # the demo locations that have it; None: every location
    is_active: bool = True


CHECK_IN_NOTE = "Ring to check they are happy with the car and answer any questions."
CHECK_IN_CALL = RuleSpec("Check-in call", 0, 3, FollowUpRule.AssignTo.SELLER, CHECK_IN_NOTE, CHECK_IN, ("LDS", "MAN"))
WARRANTY_RENEWAL = RuleSpec("Warranty renewal", 11, 0, FollowUpRule.AssignTo.MANAGER,
                            "Their warranty ends next month: offer the extended warranty.", WARRANTY)
RULES = [
    CHECK_IN_CALL,
    RuleSpec("Check-in call", 0, 2, FollowUpRule.AssignTo.SELLER, CHECK_IN_NOTE, CHECK_IN, ("SHF",)),
    RuleSpec("Six-month service reminder", 6, 0, FollowUpRule.AssignTo.SELLER,
             "Remind them the first service is due; offer to book it with our partner garage.",
             SERVICE_REMINDER, ("MAN",)),
    WARRANTY_RENEWAL,
    RuleSpec("Part-exchange offer", 30, 0, FollowUpRule.AssignTo.MANAGER,
             "Two and a half years on: offer a valuation against a newer car.", WARRANTY, ("LDS",), is_active=False),
]


def _rules_at(location: Location) -> list[RuleSpec]:
    if location.code not in TOWNS:  # not one of the inventory demo's locations: the plain pair
        return [CHECK_IN_CALL, WARRANTY_RENEWAL]
    return [spec for spec in RULES if spec.codes is None or location.code in spec.codes]

# --- messages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Campaign:
    days_ago: int
    channel: str
    subject: str
    body: str


CAMPAIGNS = [
    Campaign(200, Channel.EMAIL, "A free air-con check with every car this summer",
             "Every car from I-fixit {location} this month comes with a free air-con check and regas. "
             "Over 150 cars in stock, all inspected by our own workshop."),
    Campaign(96, Channel.EMAIL, "New in at I-fixit {location}: this autumn's arrivals",
             "Forty new arrivals this week, from first cars to family SUVs. Part-exchange welcome; "
             "finance from 7.9% APR representative."),
    Campaign(38, Channel.SMS, "",
             "I-fixit {location}: this weekend only, £250 off any car over £8,000. Sat-Mon 9-6. "
             "Reply STOP to opt out"),
    Campaign(11, Channel.EMAIL, "Winter-ready: a free 20-point check for {location} customers",
             "Bring in any car you bought from us for a free 20-point winter check: battery, tyres, lights, "
             "wipers and coolant. Book by replying to this email."),
]
CAMPAIGN_REPLIES = [
    "Is that on the Qashqai you've got in?",
    "Do you take part-ex on vans?",
    "Thanks, might pop in Saturday",
]
SERVICE_SMS_REPLIES = ["Thanks, car's running lovely", "Cheers, all good", "Thank you! Very happy with it"]
AFTER_SALE_EMAIL_SUBJECT = ": what happens next"
EMAIL_BOUNCE = "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table"
SMS_FAILURE = "Twilio error 30006: landline or unreachable carrier"
EMAIL_TIMEOUT = "Timed out connecting to the mail server (gave up after 7 attempts)"

# --- surveys -------------------------------------------------------------------------

# (promoters, detractors) as shares of the answers, per location: overall NPS about +50.
NPS_MIX = {"LDS": (0.66, 0.10), "MAN": (0.60, 0.13), "SHF": (0.56, 0.15)}
DEFAULT_NPS_MIX = (0.60, 0.12)
# A complaint about work the workshop did before the sale: (words in the repair, comment).
REPAIR_COMPLAINTS = [
    ("brake", "Brakes were squealing within a week, though the paperwork says the discs and pads were just done."),
    ("tyre", "Tyre pressure warning came on in the first week: one of the tyres you fitted had a slow puncture."),
    ("clutch", "The clutch judders pulling away, even though you replaced it before I bought the car."),
    ("battery", "Wouldn't start two weeks after I collected it; the new battery had not been fitted properly."),
    ("exhaust", "The exhaust started blowing again after a month. Fixed, but it should have been right first time."),
    ("engine management", "Engine light came back on the drive home. Fixed now, but it was a hassle."),
    ("valet", "For a 'full valet' the car wasn't very clean: dog hair all over the boot."),
    ("bumper", "The paint on the bumper repair doesn't match; you can see it in daylight."),
    ("alloy", "Wheels were meant to be refurbished but two still have kerb marks."),
    ("key", "I was promised a second key and it took five weeks to arrive."),
    ("air-con", "The air-con stopped blowing cold a month later, though it had been regassed."),
    ("timing belt", "A whine from the engine; my garage says the belt tensioner wasn't fitted right."),
]
GENERAL_COMPLAINTS = [
    "The V5C took six weeks and I had to chase it three times.",
    "Felt rushed at the handover; nobody showed me how anything worked.",
    "Part-exchange price was dropped on the day after we had agreed it on the phone.",
]
PASSIVE_COMMENTS = [
    "Good car, but the handover was a bit rushed.",
    "Fine overall; the part-exchange offer was on the low side.",
    "Took a while to get the paperwork sorted.",
    "Car is great. Waited a long time for someone to serve us on a Saturday.",
]
PROMOTER_COMMENTS = [
    "{seller} was brilliant: no pressure at all.",
    "Smooth from start to finish.",
    "Car was spotless and exactly as described.",
    "{seller} was really patient with all my questions. Would buy here again.",
    "Second car from you and just as easy as the first.",
    "Finance sorted in an hour. Very impressed.",
]


# --- the plan ------------------------------------------------------------------------


@dataclass
class CustomerPlan:
    customer: Customer
    home: Location
    purchases: list[Sale]
    tags: list[str] = field(default_factory=list)


@dataclass
class CrmSummary:
    customers: int = 0
    repeat_buyers: int = 0
    enquiries: int = 0
    sales_linked: int = 0
    communications: Counter = field(default_factory=Counter)
    follow_up_rules: int = 0
    follow_ups: Counter = field(default_factory=Counter)
    overdue_follow_ups: int = 0
    surveys: Counter = field(default_factory=Counter)
    nps: int | None = None

    def line(self) -> str:
        nps = f", NPS {self.nps:+d}" if self.nps is not None else ""
        return (
            f"{self.customers} customers ({self.repeat_buyers} repeat buyers, {self.enquiries} not bought yet; "
            f"{self.sales_linked} sales linked), {sum(self.communications.values())} log entries, "
            f"{self.follow_up_rules} follow-up rules, {sum(self.follow_ups.values())} follow-ups "
            f"({self.follow_ups.get(FollowUp.Status.OPEN, 0)} open, {self.overdue_follow_ups} overdue), "
            f"{sum(self.surveys.values())} surveys ({self.surveys.get(Survey.Status.ANSWERED, 0)} answered{nps})."
        )


@transaction.atomic
def crm_demo_data_create(*, seed: int = 42, now: datetime | None = None) -> CrmSummary | None:
    """Add customers and their care to the inventory demo's locations, staff and sales.

    Returns None, writing nothing, if there are customers already or no locations.
    """
    if Customer.objects.exists() or not Location.objects.exists():
        return None
    return _CrmPlanner(rng=Random(f"crm:{seed}"), now=now or timezone.now()).create()


class _CrmPlanner:
    def __init__(self, *, rng: Random, now: datetime):
        self.rng = rng
        self.now = now
        self.today = timezone.localtime(now, LONDON).date()
        self.locations = {loc.pk: loc for loc in Location.objects.order_by("pk")}
        self.sellers: dict[int, list[User]] = defaultdict(list)
        self.managers: dict[int, User] = {}
        memberships = (
            User.locations.through.objects.filter(user__is_active=True, user__role__in=[roles.SALES, roles.MANAGER])
            .select_related("user")
            .order_by("user_id")
        )
        for membership in memberships:
            if membership.user.role == roles.MANAGER:
                self.managers.setdefault(membership.location_id, membership.user)
            else:
                self.sellers[membership.location_id].append(membership.user)
        self.log: list[Communication] = []
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.names: set[str] = set()

    # -- writing

    def create(self) -> CrmSummary:
        sales = list(Sale.objects.select_related("car", "sold_by", "location").order_by("sold_on", "created_at", "pk"))
        plans = self._plan_customers(sales)
        self._write_customers(plans)
        linked = [sale for plan in plans for sale in plan.purchases]
        for plan in plans:
            for sale in plan.purchases:
                sale.customer = plan.customer
                sale.buyer_name = plan.customer.name
        Sale.objects.bulk_update(linked, ["customer", "buyer_name"], batch_size=BATCH_SIZE)

        adopted = min((s.created_at for s in linked), default=self.now) - timedelta(days=7)
        rule_specs = self._write_rules(adopted)
        self._settle_rule_follow_ups(linked, rule_specs)
        for plan in plans:
            self._plan_log(plan)
        surveys = self._plan_surveys(linked)
        manual = self._plan_manual_follow_ups(plans, surveys)
        self._plan_campaigns(plans)
        stop = self._plan_inbound_sms()

        Communication.objects.bulk_create(self.log, batch_size=BATCH_SIZE)
        for survey in surveys:
            survey.invitation_id = survey.invitation.pk if survey.invitation else None
        Survey.objects.bulk_create(surveys, batch_size=BATCH_SIZE)
        FollowUp.objects.bulk_create(manual, batch_size=BATCH_SIZE)
        if stop is not None:
            customer, at = stop
            customer.sms_marketing = False
            customer.sms_marketing_changed_at = at
            customer._change_reason = "Replied STOP by SMS"  # as services.sms_inbound records it
            customer._history_date = at
            customer._history_user = None  # the customer did it, not the member of staff who created them
            customer.save(update_fields=["sms_marketing", "sms_marketing_changed_at", "updated_at"])
        return self._summary(plans, len(linked))

    def _write_customers(self, plans: list[CustomerPlan]) -> None:
        customers = [plan.customer for plan in plans]
        for customer in customers:
            customer._history_date = customer.created_at
            customer._history_user = customer.created_by
        bulk_create_with_history(customers, Customer, batch_size=BATCH_SIZE)
        if any(c.pk is None for c in customers):
            raise RuntimeError("the database returned no keys for the demo customers")

        tags = {}
        for name in ("trade", "fleet", "VIP", "first-time buyer", "finance"):
            tags[name] = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        Customer.locations.through.objects.bulk_create(
            [
                Customer.locations.through(customer_id=plan.customer.pk, location_id=location_id)
                for plan in plans
                for location_id in sorted({plan.home.pk} | {s.location_id for s in plan.purchases})
            ],
            batch_size=BATCH_SIZE,
        )
        tagged = Customer.tags.through.objects.bulk_create(
            [
                Customer.tags.through(customer_id=plan.customer.pk, tag_id=tags[name].pk)
                for plan in plans
                for name in plan.tags
            ],
            batch_size=BATCH_SIZE,
        )
        # The "created" history rows should show the tags the customer was created with,
        # as a save through the service would have recorded them.
        history_ids = dict(
            Customer.history.filter(history_type="+", id__in=[c.pk for c in customers]).values_list("id", "history_id")
        )
        tag_history = apps.get_model("crm", "HistoricalCustomer_tags")
        tag_history.objects.bulk_create(
            [
                tag_history(
                    id=row.pk, history_id=history_ids[row.customer_id], customer_id=row.customer_id, tag_id=row.tag_id
                )
                for row in tagged
            ],
            batch_size=BATCH_SIZE,
        )

    def _write_rules(self, adopted: datetime) -> dict[int, RuleSpec]:
        rules, specs = [], []
        for location in self.locations.values():
            for spec in _rules_at(location):
                rules.append(
                    FollowUpRule(
                        location=location, name=spec.name, months_after_sale=spec.months, days_after_sale=spec.days,
                        note=spec.note, assign_to=spec.assign_to, is_active=spec.is_active, created_at=adopted,
                    )
                )
                specs.append(spec)
        FollowUpRule.objects.bulk_create(rules)
        return {rule.pk: spec for rule, spec in zip(rules, specs)}

    def _settle_rule_follow_ups(self, linked: list[Sale], rule_specs: dict[int, RuleSpec]) -> None:
        """Make the rules' follow-ups as the system would have (services.follow_ups_from_rules),
        then close those whose time has passed, as the staff would have."""
        services.follow_ups_from_rules(sales=linked)
        made = FollowUp.objects.filter(rule__isnull=False)
        # Made when the sale was recorded; each assignee reminded on the day it fell due.
        made.update(created_at=Subquery(Sale.objects.filter(pk=OuterRef("sale_id")).values("created_at")[:1]))
        made.filter(due_at__lt=self._start_of_today()).update(reminded_for=F("due_at"))
        sales = {sale.pk: sale for sale in linked}
        follow_ups = list(made.select_related("assignee").order_by("due_at", "pk"))
        closed = []
        for follow_up in follow_ups:
            sale = sales[follow_up.sale_id]
            spec = rule_specs[follow_up.rule_id]
            self._settle(follow_up, spec.outcomes)
            if follow_up.status != FollowUp.Status.OPEN:
                closed.append(follow_up)
            if follow_up.status == FollowUp.Status.DONE:
                self._add(
                    customer=sale.customer, location=sale.location, car=sale.car, channel=Channel.CALL,
                    direction=Direction.OUTBOUND, subject=spec.name, body=follow_up.outcome_note,
                    user=follow_up.done_by, occurred_at=follow_up.done_at,
                )
        # Only the closed ones: a bulk update of all of them is most of the seed's time.
        FollowUp.objects.bulk_update(
            closed, ["status", "outcome", "outcome_note", "done_at", "done_by"], batch_size=BATCH_SIZE
        )

    # -- customers

    def _plan_customers(self, sales: list[Sale]) -> list[CustomerPlan]:
        """Who bought which of the most recent sales: a fifth of the customers more than
        once (sometimes at another location), some not yet at all. Older sales stay
        with a buyer's name only, from before the group kept customers on file."""
        rng = self.rng
        count = min(CUSTOMER_COUNT, max(MIN_CUSTOMERS, int(len(sales) / SALES_PER_CUSTOMER)))
        enquiries = round(count * ENQUIRY_SHARE)
        repeat = round(count * REPEAT_SHARE)
        purchases = [rng.choices((2, 3, 4), (65, 25, 10))[0] for _ in range(repeat)]
        purchases += [1] * (count - enquiries - repeat) + [0] * enquiries
        while sum(purchases) > len(sales):
            if 1 in purchases:
                purchases[purchases.index(1)] = 0  # a buyer becomes an enquiry
            else:
                most = max(purchases)
                purchases[purchases.index(most)] = most - 1 if most > 2 else 0
        linked = sales[len(sales) - sum(purchases):] if sum(purchases) else []

        pools: dict[int, list[Sale]] = defaultdict(list)
        for sale in linked:
            pools[sale.location_id].append(sale)
        for pool in pools.values():
            rng.shuffle(pool)
        location_ids = list(self.locations)
        sales_at = Counter(s.location_id for s in sales)
        location_weights = [sales_at[pk] + 1 for pk in location_ids]

        def take(location_id: int, bought: list[Sale]) -> Sale:
            """A sale there, months away from the customer's other purchases if there is one."""
            pool = pools.get(location_id) or pools[max(pools, key=lambda pk: len(pools[pk]))]
            for i in range(len(pool) - 1, -1, -1):
                if all(abs((pool[i].sold_on - b.sold_on).days) >= DAYS_BETWEEN_PURCHASES for b in bought):
                    return pool.pop(i)
            return pool.pop()

        plans = []
        for n in purchases:
            if n >= 2:
                home = rng.choices(location_ids, [len(pools.get(pk, [])) + 0.01 for pk in location_ids])[0]
                bought = [take(home, [])]
                others = [pk for pk in location_ids if pk != home]
                for _ in range(n - 1):
                    elsewhere = others and rng.random() < 0.25
                    bought.append(take(rng.choice(others) if elsewhere else home, bought))
                home = bought[0].location_id
            elif n == 1:
                bought = []  # the single buyers take the sales left over, below
                home = None
            else:
                bought = []
                home = rng.choices(location_ids, location_weights)[0]
            plans.append((n, home, bought))
        leftover = [sale for pool in pools.values() for sale in pool]
        rng.shuffle(leftover)
        result = []
        for n, home, bought in plans:
            if n == 1:
                bought = [leftover.pop()]
                home = bought[0].location_id
            bought.sort(key=lambda s: (s.created_at, s.pk))
            result.append(self._customer(self.locations[home], bought))
        rng.shuffle(result)  # ids in no telling order
        return result

    def _customer(self, home: Location, purchases: list[Sale]) -> CustomerPlan:
        rng = self.rng
        n = len(purchases)
        is_business = rng.random() < (0.4 if n >= 2 else 0.05)
        first, last = self._person_name()
        town, outward = self._town(home)
        house = rng.randint(1, 160)
        street = rng.choice(STREETS)
        address_line1, address_line2 = f"{house} {street}", ""
        tags, notes, is_trade = [], "", False
        if is_business:
            name, is_trade = rng.choice(BUSINESSES)
            if name in self.names:  # each business once; a second draw becomes a person
                is_business = False
            else:
                self.names.add(name)
                address_line1, address_line2 = f"Unit {rng.randint(1, 40)}, {rng.choice(ESTATES)}", f"{house} {street}"
                tags.append("trade" if is_trade else "fleet" if n >= 2 else None)
                if rng.random() < 0.4:
                    notes = rng.choice(BUSINESS_NOTES[2:] if is_trade else BUSINESS_NOTES[:2])
        if not is_business:
            name = f"{first} {last}"
            if rng.random() < 0.12:
                address_line1 = f"Flat {rng.randint(1, 40)}, {rng.choice(BUILDINGS)}"
                address_line2 = f"{house} {street}"
            if n and rng.random() < 0.3:
                tags.append("finance")
            if n <= 1 and rng.random() < (0.12 if n else 0.15):
                tags.append("first-time buyer")
            if n >= 3 or (n == 2 and rng.random() < 0.2):
                tags.append("VIP")
            if rng.random() < 0.1:
                notes = rng.choice(CUSTOMER_NOTES)
        tags = [t for t in tags if t]

        roll = rng.random()
        has_email, has_phone = roll >= 0.08, roll < 0.08 or roll >= 0.15  # some phone only, some email only
        email = self._email(first, last, name if is_business else "") if has_email else ""
        phone = self._phone() if has_phone else ""

        if purchases:
            first_sale = purchases[0]
            lead_days = 0 if rng.random() < 0.3 else rng.randint(1, 21)
            first_contact = self._working_time(self._local_day(first_sale.created_at) - timedelta(days=lead_days))
            opening = datetime.combine(self._local_day(first_sale.created_at), time(8, 0), tzinfo=LONDON)
            # Walked in and bought the same day.
            walked_in = max(opening, first_sale.created_at - timedelta(minutes=rng.randint(30, 120)))
            walked_in = min(walked_in, first_sale.created_at - timedelta(minutes=10))
            created_at = walked_in if lead_days == 0 or first_contact >= first_sale.created_at else first_contact
            created_by = first_sale.sold_by or self._seller(home)
        else:
            created_at = self._working_time(self.today - timedelta(days=rng.randint(0, 90)))
            if created_at > self.now:
                created_at = self.now - timedelta(minutes=rng.randint(5, 120))
            created_by = self._seller(home)
        email_consent = bool(email) and rng.random() < EMAIL_CONSENT
        sms_consent = bool(phone) and rng.random() < SMS_CONSENT
        customer = Customer(
            kind=Customer.Kind.BUSINESS if is_business else Customer.Kind.PERSON,
            name=name,
            contact_name=f"{first} {last}" if is_business else "",
            email=email,
            phone=phone,
            address_line1=address_line1,
            address_line2=address_line2,
            town=town,
            postcode=self._postcode(outward),
            notes=notes,
            email_marketing=email_consent,
            email_marketing_changed_at=created_at if email_consent else None,
            sms_marketing=sms_consent,
            sms_marketing_changed_at=created_at if sms_consent else None,
            created_at=created_at,
            created_by=created_by,
        )
        return CustomerPlan(customer=customer, home=home, purchases=purchases, tags=tags)

    def _person_name(self) -> tuple[str, str]:
        rng = self.rng
        for _ in range(10):
            first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            if f"{first} {last}" not in self.names:
                break
        self.names.add(f"{first} {last}")
        return first, last

    def _email(self, first: str, last: str, business: str) -> str:
        rng = self.rng
        if business:
            slug = "".join(ch for ch in re.sub(r"\b(ltd|co)\b", "", business.lower()) if ch.isalnum())
            local, domain = rng.choice(["accounts", "office", "info", "hello", "fleet"]), f"{slug}.example"
        else:
            f, s = first.lower(), "".join(ch for ch in last.lower() if ch.isalpha())
            year, number = rng.randint(60, 99), rng.randint(1, 99)
            local = rng.choice([f"{f}.{s}", f"{f}{s}", f"{f[0]}{s}", f"{f}.{s}{number}", f"{s}.{f}", f"{f}{year}"])
            domain = rng.choice(EMAIL_DOMAINS)
        email = f"{local}@{domain}"
        while email in self.emails:
            email = f"{local}{rng.randint(2, 999)}@{domain}"
        self.emails.add(email)
        return email

    def _phone(self) -> str:
        rng = self.rng
        while True:
            phone = f"+44{rng.choice(PHONE_PREFIXES)}{rng.randint(0, 999999):06d}"
            if phone not in self.phones and normalise_phone(phone) == phone:
                self.phones.add(phone)
                return phone

    def _town(self, home: Location) -> tuple[str, list[str]]:
        towns = TOWNS.get(home.code) or [t for group in TOWNS.values() for t in group]
        town, outward, _ = self.rng.choices(towns, [w for *_, w in towns])[0]
        return town, outward

    def _postcode(self, outward: list[str]) -> str:
        rng = self.rng
        letters = "".join(rng.choice(POSTCODE_INWARD_LETTERS) for _ in range(2))
        return f"{rng.choice(outward)} {rng.randint(0, 9)}{letters}"

    # -- staff and time

    def _seller(self, location: Location) -> User | None:
        sellers = self.sellers.get(location.pk)
        return self.rng.choice(sellers) if sellers else self.managers.get(location.pk)

    def _manager(self, location: Location) -> User | None:
        return self.managers.get(location.pk) or self._seller(location)

    def _working_time(self, day: date, earliest: time = time(9, 0), latest: time = time(17, 30)) -> datetime:
        start, end = earliest.hour * 60 + earliest.minute, latest.hour * 60 + latest.minute
        minutes = self.rng.randint(start, end)
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=LONDON)

    def _start_of_today(self) -> datetime:
        return datetime.combine(self.today, time(0, 0), tzinfo=LONDON)

    def _local_day(self, moment: datetime) -> date:
        return timezone.localtime(moment, LONDON).date()

    def _add(self, **fields) -> Communication | None:
        """Log an entry, unless it would lie in the future (a plan drawn before the
        time of day is known still draws the same numbers)."""
        if fields["occurred_at"] > self.now:
            return None
        if fields["channel"] in Communication.SENT_BY_SYSTEM and fields["direction"] == Direction.OUTBOUND:
            fields.setdefault("status", Status.SENT)
            fields.setdefault("attempts", 1)
            if fields["status"] == Status.SENT:
                fields.setdefault("sent_at", fields["occurred_at"] + timedelta(seconds=self.rng.randint(2, 40)))
                fields.setdefault("claimed_at", fields["occurred_at"] + timedelta(seconds=1))
            customer = fields["customer"]
            fields.setdefault("address", customer.email if fields["channel"] == Channel.EMAIL else customer.phone)
            if fields["channel"] == Channel.SMS and fields["status"] == Status.SENT:
                fields.setdefault("provider_id", self._sms_id())
        elif fields["channel"] == Channel.NOTE:
            fields["direction"] = Direction.INTERNAL
        communication = Communication(**fields)
        self.log.append(communication)
        return communication

    def _sms_id(self) -> str:
        return "SM" + "".join(self.rng.choice("0123456789abcdef") for _ in range(32))

    # -- follow-ups

    def _settle(self, follow_up: FollowUp, outcomes: dict) -> None:
        """Open, done or cancelled, as a follow-up due then would be by now: most past
        ones done within a day or two, recent ones sometimes still waiting."""
        rng = self.rng
        roll = rng.random()
        done_day = rng.choice((0, 0, 0, 1, 1, 2))
        done_clock = self._working_time(self.today)
        outcome = rng.choices(list(outcomes), [w for w, _ in outcomes.values()])[0]
        note = rng.choice(outcomes[outcome][1])
        by_assignee = rng.random() < 0.9
        follow_up.status, follow_up.outcome, follow_up.outcome_note = FollowUp.Status.OPEN, "", ""
        follow_up.done_at = follow_up.done_by = follow_up.reminded_for = None
        due = follow_up.due_at
        if due > self.now:
            return
        if due < self._start_of_today():
            follow_up.reminded_for = due  # reminded on the day; today's remind when the beat next runs
        age = self.now - due
        if age < timedelta(days=1):
            done = roll < 0.4
        elif age < timedelta(days=21):
            done = roll < 0.7
        else:
            done = roll < 0.95
            if roll >= 0.97:
                follow_up.status = FollowUp.Status.CANCELLED
                follow_up.outcome_note = "Customer has moved away; no longer needed."
                follow_up.done_by = self._manager(self.locations[follow_up.location_id])
                return
        if not done:
            return
        follow_up.status = FollowUp.Status.DONE
        follow_up.outcome, follow_up.outcome_note = outcome, note
        done_at = datetime.combine(self._local_day(due) + timedelta(days=done_day), done_clock.timetz())
        if done_at < due:
            done_at = due + timedelta(minutes=done_clock.minute + 5)
        follow_up.done_at = min(done_at, self.now - timedelta(minutes=1 + done_clock.minute % 30))
        follow_up.done_by = follow_up.assignee if by_assignee else self._manager(self.locations[follow_up.location_id])

    def _plan_manual_follow_ups(self, plans: list[CustomerPlan], surveys: list[Survey]) -> list[FollowUp]:
        """Follow-ups staff added themselves: calling back enquiries, small promises
        after a sale, and the manager's call after each complaint in a survey."""
        rng = self.rng
        made = []

        def follow_up(
            *, customer, location, car, assignee, created_at, due_at, note, outcomes, keep_open=False
        ) -> None:
            if assignee is None or created_at > self.now:
                return
            item = FollowUp(
                customer=customer, location=location, car=car, assignee=assignee, due_at=due_at,
                note=note, created_at=created_at, created_by=assignee,
            )
            self._settle(item, outcomes)
            if keep_open:  # the demo's follow-ups due today and overdue, whatever the draw
                item.status, item.outcome, item.outcome_note = FollowUp.Status.OPEN, "", ""
                item.done_at = item.done_by = None
            if item.status == FollowUp.Status.DONE:
                self._add(
                    customer=customer, location=location, car=car, channel=Channel.CALL,
                    direction=Direction.OUTBOUND, subject=note.splitlines()[0][:80], body=item.outcome_note,
                    user=item.done_by, occurred_at=item.done_at,
                )
            made.append(item)

        # Oldest first, so the follow-ups forced due today or overdue come long after the enquiry.
        enquirers = sorted((p for p in plans if not p.purchases), key=lambda p: p.customer.created_at)
        due_today = set(range(min(3, len(enquirers))))
        overdue = set(range(3, min(5, len(enquirers))))
        for i, plan in enumerate(enquirers):
            customer = plan.customer
            seller = customer.created_by
            want = rng.choice(WANTS)
            note = rng.choice([
                f"Ring back with a finance quote for {want}.",
                f"Let them know when {want} comes in.",
                f"Test drive booked: confirm the day before. Looking for {want}.",
            ])
            due_day = self._local_day(customer.created_at) + timedelta(days=rng.randint(1, 10))
            due_at = self._working_time(due_day, time(10, 0), time(16, 0))
            if i in due_today:
                due_at = datetime.combine(self.today, (time(11, 0), time(14, 30), time(16, 45))[i], tzinfo=LONDON)
            elif i in overdue:
                due_at = datetime.combine(self.today - timedelta(days=rng.randint(1, 4)), time(10, 0), tzinfo=LONDON)
            elif rng.random() < 0.3:
                continue
            created_at = min(customer.created_at + timedelta(minutes=10), due_at - timedelta(hours=1))
            follow_up(customer=customer, location=plan.home, car=None, assignee=seller, created_at=created_at,
                      due_at=due_at, note=note, outcomes=ENQUIRY, keep_open=i in due_today or i in overdue)

        buyers = [p for p in plans if p.purchases]
        for plan in rng.sample(buyers, k=min(len(buyers), max(1, len(buyers) // 16))):
            sale = plan.purchases[-1]
            seller = sale.sold_by or self._seller(sale.location)
            due_at = self._working_time(sale.sold_on + timedelta(days=rng.randint(7, 21)), time(10, 0), time(16, 0))
            follow_up(customer=plan.customer, location=sale.location, car=sale.car, assignee=seller,
                      created_at=sale.created_at + timedelta(minutes=30), due_at=due_at,
                      note=rng.choice(AFTER_SALE_TASK_NOTES), outcomes=AFTER_SALE_TASKS)

        for survey in surveys:
            if survey.status != Survey.Status.ANSWERED or survey.nps_group != "detractor":
                continue
            location = self.locations[survey.location_id]
            manager = self._manager(location)
            next_day = self._local_day(survey.answered_at) + timedelta(days=1)
            quoted = survey.comment[:120] or f"{survey.recommend_score}/10, satisfaction {survey.satisfaction}/5"
            follow_up(customer=survey.customer, location=location, car=survey.sale.car, assignee=manager,
                      created_at=survey.answered_at + timedelta(hours=1),
                      due_at=datetime.combine(next_day, time(10, 0), tzinfo=LONDON),
                      note=f"Ring about their survey: “{quoted}”", outcomes=COMPLAINT)
        return made

    # -- the communication log

    def _plan_log(self, plan: CustomerPlan) -> None:
        rng = self.rng
        customer = plan.customer
        if not plan.purchases:
            user = customer.created_by
            want = rng.choice(WANTS)
            channel = rng.choice([Channel.CALL, Channel.VISIT])
            body = (f"Rang looking for {want}; took details." if channel == Channel.CALL
                    else f"Came in looking for {want}; looked at two on the forecourt.")
            self._add(customer=customer, location=plan.home, channel=channel, direction=Direction.INBOUND,
                      body=body, user=user, occurred_at=customer.created_at)
            if rng.random() < 0.5:
                self._add(customer=customer, location=plan.home, channel=Channel.CALL, direction=Direction.OUTBOUND,
                          body=f"Called back: nothing suitable in stock yet; will ring when {want} comes in.",
                          user=user, occurred_at=self._working_time(
                              self._local_day(customer.created_at) + timedelta(days=rng.randint(1, 5))
                          ))
            return
        if customer.notes and rng.random() < 0.5:
            self._add(customer=customer, location=plan.home, channel=Channel.NOTE, body=customer.notes,
                      user=customer.created_by, occurred_at=customer.created_at + timedelta(minutes=5))
        for sale in plan.purchases:
            self._plan_purchase_log(plan, sale)

    def _plan_purchase_log(self, plan: CustomerPlan, sale: Sale) -> None:
        rng = self.rng
        customer, car, location = plan.customer, sale.car, sale.location
        seller = sale.sold_by or self._seller(location)
        name = f"{car.year} {car.make} {car.model}"
        sold_at = sale.created_at
        # The first purchase began with the customer's first contact; a later one a few days before.
        sold_day = self._local_day(sold_at)
        later_contact = self._working_time(sold_day - timedelta(days=rng.randint(1, 10)))
        contact_at = customer.created_at if sale is plan.purchases[0] else later_contact
        rang, came_in, visit_offset = rng.random() < 0.55, rng.random() < 0.8, rng.random()
        days_before = (sold_day - self._local_day(contact_at)).days
        visit_at = contact_at
        if rang and days_before >= 1:
            self._add(customer=customer, location=location, car=car, channel=Channel.CALL, direction=Direction.INBOUND,
                      body=rng.choice(CALLS_BEFORE_SALE).format(car=name), user=seller, occurred_at=contact_at)
            if days_before >= 2:  # came in on a day between
                visit_day = self._local_day(contact_at) + timedelta(days=1 + int(visit_offset * (days_before - 1)))
                visit_at = self._working_time(visit_day)
            else:  # test drive just before buying
                visit_at = max(contact_at + timedelta(minutes=30), sold_at - timedelta(minutes=90))
        earlier = [s.car for s in plan.purchases if s.created_at < sold_at]
        if earlier:  # a repeat buyer trades in the car they bought from us
            part_exchange = f"{earlier[-1].year} {earlier[-1].make} {earlier[-1].model}"
        else:
            part_exchange = rng.choice(PART_EXCHANGES)
        if came_in:
            visit = rng.choice(VISITS_BEFORE_SALE).format(car=name, pex=part_exchange)
            self._add(customer=customer, location=location, car=car, channel=Channel.VISIT, direction=Direction.INBOUND,
                      body=visit, user=seller, occurred_at=min(visit_at, sold_at - timedelta(minutes=20)))
        note_roll = rng.random()
        if "finance" in plan.tags and note_roll < 0.7:
            body = (f"Finance through {rng.choice(FINANCE_LENDERS)}: {rng.choice([36, 48, 60])} months, "
                    f"£{rng.choice([500, 1000, 1500, 2000]):,} deposit.")
        elif note_roll < 0.25:
            body = f"Part-exchange: {part_exchange}, agreed £{50 * rng.randint(10, 60):,}."
        elif note_roll < 0.35:
            body = "Collected with a full tank; second key to follow by post."
        else:
            body = ""
        if body:
            self._add(customer=customer, location=location, car=car, channel=Channel.NOTE, body=body, user=seller,
                      occurred_at=sold_at + timedelta(minutes=5))

        sent = sold_at + timedelta(minutes=rng.randint(15, 120))
        if customer.email:
            self._add(customer=customer, location=location, car=car, channel=Channel.EMAIL,
                      direction=Direction.OUTBOUND, subject=f"Your {car.make} {car.model}{AFTER_SALE_EMAIL_SUBJECT}",
                      body=(f"Thank you for choosing I-fixit {location.name}. Your new logbook (V5C) will come from "
                            "the DVLA within four weeks, and your warranty documents are attached. Any questions, "
                            "just reply to this email."),
                      user=seller, occurred_at=sent)
        elif customer.phone:
            first = seller.first_name if seller else ""
            self._add(customer=customer, location=location, car=car, channel=Channel.SMS, direction=Direction.OUTBOUND,
                      body=f"Thanks for buying your {car.make} {car.model} from I-fixit {location.name}. "
                           f"Any questions, just reply to this message. {first}".strip(),
                      user=seller, occurred_at=sent)
        if rng.random() < 0.22:
            rang = self._working_time(sold_day + timedelta(days=rng.randint(5, 60)))
            self._add(customer=customer, location=location, car=car, channel=Channel.CALL, direction=Direction.INBOUND,
                      body=rng.choice(AFTER_SALE_CALLS), user=seller, occurred_at=rang)

    def _plan_campaigns(self, plans: list[CustomerPlan]) -> None:
        """The marketing the locations sent, to those who had agreed to it by then; one
        email bounced and one SMS could not be delivered."""
        rng = self.rng
        for campaign in CAMPAIGNS:
            day = self.today - timedelta(days=campaign.days_ago)
            start = datetime.combine(day, time(10, 0), tzinfo=LONDON)
            recipients = []
            for plan in plans:
                customer = plan.customer
                if campaign.channel == Channel.EMAIL:
                    agreed, address = customer.email_marketing, customer.email
                    since = customer.email_marketing_changed_at
                else:
                    agreed, address = customer.sms_marketing, customer.phone
                    since = customer.sms_marketing_changed_at
                if agreed and address and since < start:
                    recipients.append(plan)
            for i, plan in enumerate(recipients):
                location = plan.home
                self._add(
                    customer=plan.customer, location=location, channel=campaign.channel,
                    direction=Direction.OUTBOUND, purpose=Purpose.MARKETING,
                    subject=campaign.subject.format(location=location.name),
                    body=campaign.body.format(location=location.name), user=self._manager(location),
                    occurred_at=start + timedelta(seconds=3 * i),
                )
        marketing = [c for c in self.log if c.purpose == Purpose.MARKETING]
        emails = [c for c in marketing if c.channel == Channel.EMAIL]
        sms = [c for c in marketing if c.channel == Channel.SMS]
        if emails:
            bounced = rng.choice(emails)
            bounced.status, bounced.last_error, bounced.sent_at = Status.FAILED, EMAIL_BOUNCE, None
            self._add(customer=bounced.customer, location=bounced.location, channel=Channel.NOTE,
                      body="Marketing email bounced: check their email address next time they are in.",
                      user=bounced.user, occurred_at=bounced.occurred_at + timedelta(days=1))
        if len(sms) > 1:
            undelivered = rng.choice(sms[1:])  # the first recipient is left for the STOP reply
            undelivered.status, undelivered.last_error, undelivered.sent_at = Status.FAILED, SMS_FAILURE, None
            undelivered.provider_id = self._sms_id()
        service_emails = [
            c for c in self.log if c.channel == Channel.EMAIL and c.subject.endswith(AFTER_SALE_EMAIL_SUBJECT)
        ]
        if service_emails:
            timed_out = rng.choice(service_emails)
            timed_out.status, timed_out.last_error, timed_out.sent_at = Status.FAILED, EMAIL_TIMEOUT, None
            timed_out.attempts = 7

    def _plan_inbound_sms(self) -> tuple[Customer, datetime] | None:
        """Replies by SMS: a STOP to the SMS campaign (which withdraws consent), a few
        questions about it, and thanks for messages about a purchase. Returns the
        customer who replied STOP and when."""
        rng = self.rng
        outbound = [
            c for c in self.log
            if c.channel == Channel.SMS and c.direction == Direction.OUTBOUND and c.status == Status.SENT
        ]
        campaign = sorted((c for c in outbound if c.purpose == Purpose.MARKETING), key=lambda c: c.occurred_at)
        service = [c for c in outbound if c.purpose == Purpose.SERVICE]

        def reply(to: Communication, body: str, after: timedelta, subject: str = "") -> datetime | None:
            at = to.sent_at + after
            logged = self._add(customer=to.customer, location=to.location, car=to.car, channel=Channel.SMS,
                               direction=Direction.INBOUND, subject=subject, body=body, address=to.address,
                               status=Status.RECEIVED, provider_id=self._sms_id(), occurred_at=at)
            return at if logged else None

        stop = None
        if campaign:
            at = reply(campaign[0], "STOP", timedelta(minutes=rng.randint(2, 40)), subject="Withdrew SMS consent")
            if at is not None:
                stop = (campaign[0].customer, at)
            asked = rng.sample(campaign[1:], k=min(len(campaign) - 1, len(CAMPAIGN_REPLIES)))
            for message, body in zip(asked, CAMPAIGN_REPLIES):
                reply(message, body, timedelta(minutes=rng.randint(5, 300)))
        thanked = rng.sample(service, k=min(len(service), len(SERVICE_SMS_REPLIES)))
        for message, body in zip(thanked, SERVICE_SMS_REPLIES):
            reply(message, body, timedelta(minutes=rng.randint(10, 600)))
        return stop

    # -- surveys

    def _plan_surveys(self, linked: list[Sale]) -> list[Survey]:
        """The survey of each sale since surveys began: scheduled if its day has not come,
        else sent (its invitation in the log) and, mostly, answered."""
        rng = self.rng
        since = self.today - relativedelta(months=SURVEY_MONTHS)
        valid = timedelta(days=settings.CRM_SURVEY_VALID_DAYS)
        surveys = []
        for sale in linked:
            delay = sale.location.survey_after_days
            if sale.sold_on < since or delay is None:
                continue
            customer, car = sale.customer, sale.car
            survey = Survey(
                sale=sale, customer=customer, location=sale.location, salesperson=sale.sold_by,
                send_on=sale.sold_on + timedelta(days=delay),
            )
            survey.invitation = None
            sent_at = datetime.combine(survey.send_on, time(10, 0), tzinfo=LONDON)
            sent_at += timedelta(seconds=rng.randint(0, 1800))
            answers = rng.random() < SURVEY_ANSWER_RATE
            answered_at = sent_at + timedelta(minutes=int(rng.lognormvariate(5.5, 1.3)))  # mostly within a day
            surveys.append(survey)
            if survey.send_on > self.today:
                continue  # scheduled: the beat sends it on its day
            sent_at = min(sent_at, self.now - timedelta(minutes=5))
            survey.status = Survey.Status.SENT
            survey.sent_at, survey.expires_at = sent_at, sent_at + valid
            # Minted when the invitation went out; nobody has this one, so the demo's links are dead.
            survey.token_hash = Survey.hash_token(secrets.token_urlsafe(32))
            invitation = {
                "customer": customer, "location": sale.location, "car": car, "direction": Direction.OUTBOUND,
                "subject": f"How was buying your {car.make} {car.model}?", "occurred_at": sent_at,
            }
            # The text services.survey_send logs: the link stays a placeholder in the log.
            if customer.email:
                body = render_to_string(
                    "crm/survey_invitation.txt",
                    {"survey": survey, "car": car, "link": services.SURVEY_LINK, "valid_days": valid.days},
                )
                survey.invitation = self._add(channel=Channel.EMAIL, **invitation, body=body)
            else:
                body = (
                    f"Thank you for buying your {car.make} {car.model} from {sale.location.name}. "
                    f"How did we do? Two questions: {services.SURVEY_LINK}"
                )
                survey.invitation = self._add(channel=Channel.SMS, **invitation, body=body)
            if answers and answered_at < min(self.now, survey.expires_at):
                survey.status, survey.answered_at, survey.token_hash = Survey.Status.ANSWERED, answered_at, None
        self._score_answers([s for s in surveys if s.status == Survey.Status.ANSWERED])
        return surveys

    def _score_answers(self, answered: list[Survey]) -> None:
        """Scores by quota per location, so the demo's NPS comes out about +50 whatever
        the day; complaints quote work the workshop did on that very car."""
        rng = self.rng
        repairs = defaultdict(list)
        done = RepairItem.objects.filter(car_id__in=[s.sale.car_id for s in answered])
        for car_id, description in done.values_list("car_id", "description"):
            repairs[car_id].append(description.lower())
        by_location = defaultdict(list)
        for survey in answered:
            by_location[survey.location_id].append(survey)
        for location_id, surveys in sorted(by_location.items()):
            promoters, detractors = NPS_MIX.get(self.locations[location_id].code, DEFAULT_NPS_MIX)
            p, d = round(promoters * len(surveys)), round(detractors * len(surveys))
            groups = ["promoter"] * p + ["detractor"] * d + ["passive"] * (len(surveys) - p - d)
            rng.shuffle(groups)
            for survey, group in zip(surveys, groups):
                seller = survey.salesperson.first_name if survey.salesperson else "The salesman"
                if group == "promoter":
                    survey.recommend_score = rng.choices((10, 9), (60, 40))[0]
                    survey.satisfaction = rng.choices((5, 4), (75, 25))[0]
                    comment = rng.choice(PROMOTER_COMMENTS).format(seller=seller) if rng.random() < 0.35 else ""
                elif group == "passive":
                    survey.recommend_score = rng.choices((8, 7), (60, 40))[0]
                    survey.satisfaction = rng.choices((4, 3, 5), (65, 25, 10))[0]
                    comment = rng.choice(PASSIVE_COMMENTS) if rng.random() < 0.45 else ""
                else:
                    survey.recommend_score = rng.choices((6, 5, 4, 3, 2, 1, 0), (30, 22, 15, 12, 8, 5, 8))[0]
                    survey.satisfaction = rng.choices((3, 2, 1), (40, 40, 20))[0]
                    done = repairs.get(survey.sale.car_id, [])
                    about_repairs = [text for words, text in REPAIR_COMPLAINTS if any(words in d for d in done)]
                    if about_repairs and rng.random() < 0.75:
                        comment = rng.choice(about_repairs)
                    else:
                        comment = rng.choice(GENERAL_COMPLAINTS) if rng.random() < 0.8 else ""
                survey.comment = comment

    # -- summary

    def _summary(self, plans: list[CustomerPlan], sales_linked: int) -> CrmSummary:
        summary = CrmSummary(
            customers=len(plans),
            repeat_buyers=sum(1 for p in plans if len(p.purchases) >= 2),
            enquiries=sum(1 for p in plans if not p.purchases),
            sales_linked=sales_linked,
            follow_up_rules=FollowUpRule.objects.count(),
        )
        def counts(queryset, name: str) -> Counter:
            return Counter(dict(queryset.values_list(name).annotate(n=Count("pk")).order_by()))

        summary.communications = counts(Communication.objects, "channel")
        summary.follow_ups = counts(FollowUp.objects, "status")
        summary.overdue_follow_ups = FollowUp.objects.filter(status=FollowUp.Status.OPEN, due_at__lt=self.now).count()
        summary.surveys = counts(Survey.objects, "status")
        scores = Survey.objects.filter(status=Survey.Status.ANSWERED).aggregate(
            answers=Count("pk"),
            promoters=Count("pk", filter=Q(recommend_score__gte=9)),
            detractors=Count("pk", filter=Q(recommend_score__lte=6)),
        )
        if scores["answers"]:
            summary.nps = round(100 * (scores["promoters"] - scores["detractors"]) / scores["answers"])
        return summary
