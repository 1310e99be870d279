"""Believable demo data for a UK used-car dealer group, for `manage.py seed_demo`.

Everything is drawn from one `random.Random(seed)`, so a seed always plans the same
cars, histories and sales (dated relative to the day it runs). The plan is built in
memory and written with bulk inserts: the per-row services would validate, lock and
publish an event for each of thousands of rows, which is right for a person at a
page and far too slow here. What the services would enforce is kept by
construction instead: phase histories follow `TRANSITIONS`, `Car.phase` and
`phase_changed_at` equal the last history row, and `Sale.cost_at_sale` is the exact
sum of the car's costs.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from random import Random
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.accounts.services import user_set_role
from ifixit.inventory.models import Car, Payment, Phase, PhaseChange, PurchaseFunding, RepairItem, Sale
from ifixit.locations.models import Location
from ifixit.money import format_money

LONDON = ZoneInfo("Europe/London")
PENNY = Decimal("0.01")
BATCH_SIZE = 500
HISTORY_DAYS = 730  # sold cars were bought over the last two years
LABOUR_RATE = Decimal("65")  # £ per hour, an independent workshop's rate

# --- locations and staff -----------------------------------------------------------

LOCATIONS = [
    ("LDS", "Leeds", "Unit 4, Kirkstall Road Trade Park\nLeeds\nLS4 2AZ", 0.40),
    ("MAN", "Manchester", "212 Chester Road, Old Trafford\nManchester\nM16 9HE", 0.35),
    ("SHF", "Sheffield", "88 Penistone Road\nSheffield\nS6 2FN", 0.25),
]

ALL = "*"
# (username, first name, last name, role, location codes)
STAFF = [
    ("admin", "Helen", "Carter", roles.ADMIN, ALL),
    ("buyer", "Raj", "Patel", roles.BUYER, ("LDS", "MAN", "SHF")),
    ("manager.leeds", "James", "Whitaker", roles.MANAGER, ("LDS",)),
    ("manager.manchester", "Sarah", "Doyle", roles.MANAGER, ("MAN",)),
    ("manager.sheffield", "Tom", "Barker", roles.MANAGER, ("SHF",)),
    ("sales.leeds", "Emma", "Holt", roles.SALES, ("LDS",)),
    ("sales.manchester", "Daniel", "Okafor", roles.SALES, ("MAN",)),
    ("sales.sheffield", "Chloe", "Marsh", roles.SALES, ("SHF",)),
    ("workshop.leeds", "Gary", "Dawson", roles.WORKSHOP, ("LDS",)),
    ("workshop.manchester", "Lee", "Brennan", roles.WORKSHOP, ("MAN",)),
    ("workshop.sheffield", "Kevin", "Walsh", roles.WORKSHOP, ("SHF",)),
]

# --- the cars ----------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    make: str
    model: str
    popularity: int
    new_price: int  # list price of a mid-range one, new, in £
    bodies: tuple[tuple[str, int], ...]
    trims: tuple[str, ...]  # cheapest first
    fuels: tuple[tuple[str, int, int], ...]  # (fuel, weight, on sale from year)
    wmi: str  # world manufacturer identifier: the VIN's first three characters
    first_year: int = 2010
    last_year: int = 2024
    auto_share: float = 0.15  # share of automatics in 2010, rising with the years


Body = Car.Body
Fuel = Car.Fuel
HATCH = ((Body.HATCHBACK, 1),)
SUV = ((Body.SUV, 1),)

CATALOGUE = [
    ModelSpec(
        "Ford", "Fiesta", popularity=14, new_price=18000,
        bodies=HATCH,
        trims=("Style", "Zetec", "Titanium", "ST-Line", "Vignale"),
        fuels=((Fuel.PETROL, 8, 2010), (Fuel.DIESEL, 3, 2010)),
        wmi="WF0", last_year=2023,
    ),
    ModelSpec(
        "Ford", "Focus", popularity=11, new_price=24000,
        bodies=((Body.HATCHBACK, 4), (Body.ESTATE, 1)),
        trims=("Style", "Zetec", "Titanium", "ST-Line", "Active"),
        fuels=((Fuel.PETROL, 6, 2010), (Fuel.DIESEL, 5, 2010)),
        wmi="WF0",
    ),
    ModelSpec(
        "Ford", "Kuga", popularity=6, new_price=31000,
        bodies=SUV,
        trims=("Zetec", "Titanium", "ST-Line", "Vignale"),
        fuels=((Fuel.DIESEL, 5, 2010), (Fuel.PETROL, 3, 2013), (Fuel.HYBRID, 2, 2020)),
        wmi="WF0", auto_share=0.35,
    ),
    ModelSpec(
        "Vauxhall", "Corsa", popularity=12, new_price=17500,
        bodies=HATCH,
        trims=("Design", "SE", "SRi", "Elite", "GS Line"),
        fuels=((Fuel.PETROL, 9, 2010), (Fuel.DIESEL, 2, 2010), (Fuel.ELECTRIC, 1, 2020)),
        wmi="W0L",
    ),
    ModelSpec(
        "Vauxhall", "Astra", popularity=9, new_price=23000,
        bodies=((Body.HATCHBACK, 4), (Body.ESTATE, 1)),
        trims=("Design", "SRi", "Elite", "GS Line"),
        fuels=((Fuel.PETROL, 6, 2010), (Fuel.DIESEL, 5, 2010), (Fuel.HYBRID, 1, 2022)),
        wmi="W0L",
    ),
    ModelSpec(
        "Volkswagen", "Golf", popularity=12, new_price=27000,
        bodies=((Body.HATCHBACK, 5), (Body.ESTATE, 1)),
        trims=("S", "SE", "Match", "Life", "R-Line", "GTI"),
        fuels=((Fuel.PETROL, 6, 2010), (Fuel.DIESEL, 5, 2010), (Fuel.HYBRID, 1, 2020)),
        wmi="WVW", auto_share=0.25,
    ),
    ModelSpec(
        "Volkswagen", "Polo", popularity=9, new_price=19500,
        bodies=HATCH,
        trims=("S", "SE", "Match", "Life", "R-Line"),
        fuels=((Fuel.PETROL, 8, 2010), (Fuel.DIESEL, 2, 2010)),
        wmi="WVW",
    ),
    ModelSpec(
        "Volkswagen", "Tiguan", popularity=5, new_price=33000,
        bodies=SUV,
        trims=("S", "SE", "Match", "Life", "R-Line"),
        fuels=((Fuel.DIESEL, 6, 2010), (Fuel.PETROL, 3, 2010), (Fuel.HYBRID, 1, 2021)),
        wmi="WVG", auto_share=0.45,
    ),
    ModelSpec(
        "BMW", "1 Series", popularity=7, new_price=27500,
        bodies=HATCH,
        trims=("SE", "Sport", "M Sport"),
        fuels=((Fuel.DIESEL, 5, 2010), (Fuel.PETROL, 5, 2010)),
        wmi="WBA", auto_share=0.4,
    ),
    ModelSpec(
        "BMW", "3 Series", popularity=7, new_price=37000,
        bodies=((Body.SALOON, 3), (Body.ESTATE, 1)),
        trims=("SE", "Sport", "M Sport"),
        fuels=((Fuel.DIESEL, 7, 2010), (Fuel.PETROL, 3, 2010), (Fuel.HYBRID, 1, 2016)),
        wmi="WBA", auto_share=0.6,
    ),
    ModelSpec(
        "Audi", "A3", popularity=8, new_price=28500,
        bodies=((Body.HATCHBACK, 4), (Body.SALOON, 1)),
        trims=("Technik", "SE", "Sport", "S line", "Black Edition"),
        fuels=((Fuel.PETROL, 5, 2010), (Fuel.DIESEL, 5, 2010)),
        wmi="WAU", auto_share=0.35,
    ),
    ModelSpec(
        "Audi", "A4", popularity=5, new_price=35000,
        bodies=((Body.SALOON, 3), (Body.ESTATE, 2)),
        trims=("SE", "Sport", "S line", "Black Edition"),
        fuels=((Fuel.DIESEL, 7, 2010), (Fuel.PETROL, 3, 2010)),
        wmi="WAU", auto_share=0.55,
    ),
    ModelSpec(
        "Toyota", "Yaris", popularity=7, new_price=19500,
        bodies=HATCH,
        trims=("Icon", "Design", "Excel", "GR Sport"),
        fuels=((Fuel.PETROL, 4, 2010), (Fuel.HYBRID, 6, 2012)),
        wmi="VNK", auto_share=0.3,
    ),
    ModelSpec(
        "Toyota", "Corolla", popularity=5, new_price=28000,
        bodies=((Body.HATCHBACK, 3), (Body.ESTATE, 1)),
        trims=("Icon", "Design", "Excel", "GR Sport"),
        fuels=((Fuel.HYBRID, 1, 2019),),
        wmi="SB1", first_year=2019,
    ),
    ModelSpec(
        "Nissan", "Qashqai", popularity=10, new_price=28000,
        bodies=SUV,
        trims=("Visia", "Acenta", "N-Connecta", "Tekna"),
        fuels=((Fuel.DIESEL, 5, 2010), (Fuel.PETROL, 5, 2010), (Fuel.HYBRID, 1, 2022)),
        wmi="SJN", auto_share=0.25,
    ),
    ModelSpec(
        "Nissan", "Juke", popularity=7, new_price=21500,
        bodies=SUV,
        trims=("Visia", "Acenta", "N-Connecta", "Tekna"),
        fuels=((Fuel.PETROL, 7, 2010), (Fuel.DIESEL, 2, 2010)),
        wmi="SJN",
    ),
    ModelSpec(
        "Kia", "Sportage", popularity=7, new_price=30000,
        bodies=SUV,
        trims=("1", "2", "3", "GT-Line", "GT-Line S"),
        fuels=((Fuel.DIESEL, 5, 2010), (Fuel.PETROL, 4, 2010), (Fuel.HYBRID, 2, 2022)),
        wmi="U5Y", auto_share=0.3,
    ),
    ModelSpec(
        "Kia", "Ceed", popularity=4, new_price=22000,
        bodies=((Body.HATCHBACK, 3), (Body.ESTATE, 1)),
        trims=("2", "3", "GT-Line", "GT-Line S"),
        fuels=((Fuel.PETROL, 6, 2010), (Fuel.DIESEL, 3, 2010)),
        wmi="U5Y",
    ),
    ModelSpec(
        "Hyundai", "Tucson", popularity=6, new_price=30000,
        bodies=SUV,
        trims=("SE Nav", "Premium", "N Line", "Ultimate"),
        fuels=((Fuel.DIESEL, 5, 2015), (Fuel.PETROL, 4, 2015), (Fuel.HYBRID, 2, 2021)),
        wmi="TMA", first_year=2015, auto_share=0.3,
    ),
    ModelSpec(
        "Hyundai", "i30", popularity=4, new_price=21000,
        bodies=((Body.HATCHBACK, 4), (Body.ESTATE, 1)),
        trims=("S", "SE", "SE Nav", "Premium", "N Line"),
        fuels=((Fuel.PETROL, 6, 2010), (Fuel.DIESEL, 3, 2010)),
        wmi="TMA",
    ),
    ModelSpec(
        "Mercedes-Benz", "A-Class", popularity=7, new_price=29000,
        bodies=HATCH,
        trims=("SE", "Sport", "AMG Line"),
        fuels=((Fuel.PETROL, 5, 2013), (Fuel.DIESEL, 5, 2013)),
        wmi="WDD", first_year=2013, auto_share=0.6,
    ),
    ModelSpec(
        "Mercedes-Benz", "C-Class", popularity=5, new_price=38000,
        bodies=((Body.SALOON, 3), (Body.ESTATE, 1), (Body.COUPE, 1)),
        trims=("SE", "Sport", "AMG Line"),
        fuels=((Fuel.DIESEL, 7, 2010), (Fuel.PETROL, 3, 2010), (Fuel.HYBRID, 1, 2016)),
        wmi="WDD", auto_share=0.8,
    ),
    ModelSpec(
        "Skoda", "Octavia", popularity=7, new_price=24500,
        bodies=((Body.HATCHBACK, 3), (Body.ESTATE, 3)),
        trims=("S", "SE", "SE L", "vRS"),
        fuels=((Fuel.DIESEL, 6, 2010), (Fuel.PETROL, 5, 2010)),
        wmi="TMB",
    ),
    ModelSpec(
        "Skoda", "Fabia", popularity=5, new_price=16500,
        bodies=HATCH,
        trims=("S", "SE", "Colour Edition", "Monte Carlo"),
        fuels=((Fuel.PETROL, 8, 2010), (Fuel.DIESEL, 2, 2010)),
        wmi="TMB",
    ),
    ModelSpec(
        "Peugeot", "208", popularity=7, new_price=19000,
        bodies=HATCH,
        trims=("Active", "Allure", "GT Line", "GT"),
        fuels=((Fuel.PETROL, 7, 2012), (Fuel.DIESEL, 2, 2012), (Fuel.ELECTRIC, 1, 2020)),
        wmi="VF3", first_year=2012,
    ),
    ModelSpec(
        "Peugeot", "3008", popularity=5, new_price=29000,
        bodies=SUV,
        trims=("Active", "Allure", "GT Line", "GT"),
        fuels=((Fuel.DIESEL, 5, 2017), (Fuel.PETROL, 4, 2017), (Fuel.HYBRID, 1, 2020)),
        wmi="VF3", first_year=2017, auto_share=0.35,
    ),
    ModelSpec(
        "MINI", "Hatch", popularity=7, new_price=21000,
        bodies=HATCH,
        trims=("One", "Cooper", "Cooper S", "John Cooper Works"),
        fuels=((Fuel.PETROL, 9, 2010), (Fuel.DIESEL, 1, 2010), (Fuel.ELECTRIC, 1, 2020)),
        wmi="WMW", auto_share=0.3,
    ),
    ModelSpec(
        "Honda", "Civic", popularity=4, new_price=25000,
        bodies=HATCH,
        trims=("S", "SE", "SR", "EX", "Sport"),
        fuels=((Fuel.PETROL, 6, 2010), (Fuel.DIESEL, 2, 2010), (Fuel.HYBRID, 2, 2022)),
        wmi="SHH",
    ),
    ModelSpec(
        "Honda", "Jazz", popularity=4, new_price=19000,
        bodies=HATCH,
        trims=("S", "SE", "EX", "Crosstar"),
        fuels=((Fuel.PETROL, 6, 2010), (Fuel.HYBRID, 4, 2020)),
        wmi="SHH", auto_share=0.35,
    ),
    ModelSpec(
        "Land Rover", "Range Rover Evoque", popularity=3, new_price=40000,
        bodies=SUV,
        trims=("Pure", "SE", "HSE", "Dynamic"),
        fuels=((Fuel.DIESEL, 8, 2011), (Fuel.PETROL, 1, 2011), (Fuel.HYBRID, 1, 2020)),
        wmi="SAL", first_year=2011, auto_share=0.85,
    ),
    ModelSpec(
        "Tesla", "Model 3", popularity=2, new_price=43000,
        bodies=((Body.SALOON, 1),),
        trims=("Standard Range Plus", "Long Range", "Performance"),
        fuels=((Fuel.ELECTRIC, 1, 2019),),
        wmi="5YJ", first_year=2019, auto_share=1.0,
    ),
]

COLOURS = [
    ("Grey", 20), ("Black", 18), ("White", 16), ("Silver", 14), ("Blue", 14), ("Red", 10),
    ("Orange", 2), ("Green", 2), ("Brown", 1), ("Yellow", 1), ("Bronze", 1), ("Purple", 1),
]

# Used cars bought at auction are mostly four to nine years old.
AGE_WEIGHTS = [0.3, 1.0, 1.8, 2.6, 3.2, 3.5, 3.4, 3.1, 2.7, 2.2, 1.7, 1.3, 0.9, 0.6, 0.4]

CAR_NOTES = [
    "Full service history, two keys.",
    "Part service history, one key only.",
    "Cambelt done at 58k (invoice in the folder).",
    "V5C present; last MOT passed with no advisories.",
    "Ex-fleet, full dealer history.",
    "Private entry at auction; minor kerbing on all wheels.",
    "Spare key on order from the main dealer.",
    "Tow bar fitted (detachable).",
]

AUCTIONS = [
    "BCA Blackbushe", "BCA Measham", "BCA Leeds", "Manheim Leeds", "Manheim Manchester",
    "Aston Barclay Wakefield", "Aston Barclay Westbury", "Central Motor Auctions",
]

FIRST_NAMES = [
    "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Jacob", "Grace",
    "Noah", "Sophie", "Charlie", "Emily", "Thomas", "Lily", "Muhammad", "Freya", "William", "Evie",
    "Joshua", "Ruby", "Samuel", "Poppy", "Aisha", "Daniel", "Chloe", "Liam", "Hannah", "Connor",
    "Megan", "Ryan", "Zara", "Mohammed", "Priya", "David", "Karen", "Paul", "Julie", "Mark",
]
LAST_NAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
    "Patel", "Khan", "Hussain", "Ali", "Lewis", "Harrison", "Hughes", "Edwards", "Turner", "Hill",
    "Moore", "Cooper", "Ward", "Morris", "King", "Baker", "Kaur", "Murphy", "O'Brien", "Kowalski",
]

# --- the workshop --------------------------------------------------------------------

Category = RepairItem.Category
# (category, description, parts £ low-high, labour hours low-high)
REPAIRS = [
    (Category.MECHANICAL, "Front brake discs and pads replaced", (95, 220), (1.0, 2.0)),
    (Category.MECHANICAL, "Rear brake pads replaced, calipers freed off", (35, 85), (0.8, 1.5)),
    (Category.MECHANICAL, "Service: oil and filter, air filter, pollen filter", (55, 140), (1.0, 1.5)),
    (Category.MECHANICAL, "Timing belt kit and water pump", (150, 340), (3.0, 5.0)),
    (Category.MECHANICAL, "Clutch kit and dual-mass flywheel", (320, 680), (4.0, 6.0)),
    (Category.MECHANICAL, "Front drop links and anti-roll bar bushes", (40, 95), (1.0, 1.5)),
    (Category.MECHANICAL, "Exhaust back box replaced (blowing)", (70, 180), (0.5, 1.0)),
    (Category.MECHANICAL, "Nearside front coil spring broken, replaced", (45, 110), (1.0, 2.0)),
    (Category.MECHANICAL, "Oil leak from rocker cover: gasket replaced", (25, 60), (1.0, 2.5)),
    (Category.MECHANICAL, "Auxiliary drive belt and tensioner", (40, 90), (0.8, 1.5)),
    (Category.TYRES, "2 x front tyres (mid-range), balanced", (110, 240), (0.5, 0.8)),
    (Category.TYRES, "4 x tyres (budget), balanced", (180, 320), (0.8, 1.2)),
    (Category.TYRES, "Four-wheel alignment", (0, 0), (0.8, 1.0)),
    (Category.TYRES, "Puncture repair, offside rear", (5, 10), (0.3, 0.5)),
    (Category.BODYWORK, "SMART repair: rear bumper scuffs", (20, 45), (1.5, 3.0)),
    (Category.BODYWORK, "Paintless dent removal, driver's door", (0, 0), (1.0, 2.0)),
    (Category.BODYWORK, "Replace cracked door mirror glass", (25, 70), (0.3, 0.6)),
    (Category.PAINT, "Refurbish two kerbed alloy wheels", (10, 30), (1.5, 2.5)),
    (Category.PAINT, "Repaint front bumper (stone chips)", (40, 90), (3.0, 5.0)),
    (Category.PAINT, "Touch in stone chips on bonnet", (10, 25), (0.8, 1.5)),
    (Category.ELECTRICAL, "Battery failed drop test, replaced", (85, 160), (0.3, 0.5)),
    (Category.ELECTRICAL, "ABS sensor front left: diagnosed and replaced", (40, 110), (1.0, 2.0)),
    (Category.ELECTRICAL, "Headlight bulbs replaced, beam aligned", (10, 35), (0.3, 0.6)),
    (Category.ELECTRICAL, "Spare key cut and programmed", (90, 220), (0.5, 1.0)),
    (Category.ELECTRICAL, "Engine management light: lambda sensor replaced", (45, 130), (1.0, 2.0)),
    (Category.INTERIOR, "Driver's seat bolster repaired", (20, 60), (1.0, 2.0)),
    (Category.INTERIOR, "Replace worn floor mats and boot liner", (35, 80), (0.2, 0.3)),
    (Category.INTERIOR, "Smoke odour treatment (ozone)", (10, 20), (1.0, 1.5)),
    (Category.VALETING, "Mini valet", (5, 10), (1.0, 1.5)),
    (Category.OTHER, "Air-con regas", (25, 45), (0.5, 1.0)),
    (Category.OTHER, "Wiper blades and screenwash", (15, 35), (0.2, 0.3)),
]
FULL_VALET = (Category.VALETING, "Full valet and machine polish", (15, 30), (2.5, 4.0))
PRE_SALE_INSPECTION = (Category.MOT, "Pre-sale inspection (120 points)", (0, 0), (1.0, 1.0))
MOT_TEST = (Category.MOT, "MOT test", (0, 0), (0, 0))
MOT_FEE = Decimal("54.85")  # the legal maximum fee for a car's MOT test

# Why a listed car goes back to the workshop, and the job that follows.
GO_BACKS = [
    ("Failed pre-sale inspection: brake discs", REPAIRS[0]),
    ("Customer test drive: engine management light on", REPAIRS[24]),
    ("Pre-sale inspection: front tyres near the legal limit", REPAIRS[10]),
    ("Scuffed on the forecourt: rear bumper", REPAIRS[14]),
    ("Battery flat after three weeks on the forecourt", REPAIRS[20]),
]
FALL_THROUGHS = [
    "Customer's finance declined",
    "Customer withdrew: bought elsewhere",
    "Deposit refunded: customer changed mind",
    "Part-exchange valuation not accepted",
]
RESERVE_NOTES = [
    "£250 deposit taken",
    "£500 deposit taken",
    "Deposit paid online; finance pending",
    "Holding deposit £100",
    "",
]

# Share of the cars that end in each phase; the rest of the plan follows from it.
PHASE_SHARES = {
    Phase.SOLD: 0.60,
    Phase.SOURCED: 0.03,
    Phase.PURCHASED: 0.03,
    Phase.IN_TRANSIT: 0.035,
    Phase.FIXING: 0.09,
    Phase.READY: 0.04,
    Phase.LISTED: 0.135,
    Phase.RESERVED: 0.04,
}
MIN_CARS = len(PHASE_SHARES)


# --- the plan ---------------------------------------------------------------------


@dataclass
class Step:
    to_phase: str
    days: int  # days after the previous step
    note: str = ""
    job: tuple | None = None  # the one workshop job a go-back to fixing is for
    at: datetime | None = None


@dataclass
class CarPlan:
    car: Car
    changes: list[PhaseChange]
    items: list[RepairItem]
    sale: Sale | None


@dataclass
class Summary:
    locations: int = 0
    users_created: list[str] = field(default_factory=list)
    users_existing: list[str] = field(default_factory=list)
    cars_by_phase: Counter = field(default_factory=Counter)
    phase_changes: int = 0
    repair_items: int = 0
    sales: int = 0
    sales_total: Decimal = Decimal("0")
    gross_profit_total: Decimal = Decimal("0")
    loss_making_sales: int = 0
    longest_fixing_days: int = 0
    transfers: Counter = field(default_factory=Counter)
    photos: int = 0

    @property
    def cars(self) -> int:
        return sum(self.cars_by_phase.values())


def demo_data_present() -> bool:
    return Car.objects.exists()


@transaction.atomic
def demo_data_create(
    *, seed: int = 42, car_count: int = 1000, password: str, now: datetime | None = None
) -> Summary | None:
    """Fill an empty database with a dealer group's two years of trading.

    Returns None, writing nothing, if there are cars already.
    """
    if car_count < MIN_CARS:
        raise ValueError(f"car_count must be at least {MIN_CARS}, one per phase")
    if demo_data_present():
        return None
    now = now or timezone.now()
    rng = Random(seed)
    summary = Summary()

    locations = _create_locations(summary)
    staff = _create_staff(locations, password, summary)
    # How each car was paid for is drawn apart, so adding it left every seed's cars as they were.
    funding_rng = Random(f"funding:{seed}")
    _DemoPlanner(
        rng=rng, funding_rng=funding_rng, now=now, locations=locations, staff=staff, summary=summary
    ).create(car_count)
    _create_transfers(rng=rng, now=now, locations=locations, staff=staff, summary=summary)
    _create_photos(staff=staff, summary=summary)
    return summary


# Demo cars with photos: those on the forecourt, where a buyer would look. Drawn at seed time.
DEMO_PHOTO_CARS = 8


def _create_photos(*, staff, summary: Summary) -> None:
    """Through the upload service, so the workers make their variants as for any upload."""
    from ifixit.inventory.photos.demo import add_demo_photos

    cars = Car.objects.filter(phase__in=[Phase.LISTED, Phase.READY]).order_by("phase", "pk")[:DEMO_PHOTO_CARS]
    summary.photos = add_demo_photos(cars=list(cars), user=staff["admin"])


# How many demo transfers end in each state: every state of the workflow is on show.
TRANSFER_STATES = {"requested": 3, "approved": 2, "rejected": 1, "cancelled": 1, "dispatched": 2, "received": 5}


def _create_transfers(*, rng: Random, now: datetime, locations, staff, summary: Summary) -> None:
    """Run the real transfer services with the demo staff, so every transfer is one the
    system could have made. Only ready and listed cars move, so the repair board's
    clocks are left alone."""
    from ifixit.inventory import services

    city = {"LDS": "leeds", "MAN": "manchester", "SHF": "sheffield"}
    codes = list(locations)
    candidates = list(Car.objects.filter(phase__in=[Phase.READY, Phase.LISTED]).order_by("pk"))
    rng.shuffle(candidates)
    for state, count in TRANSFER_STATES.items():
        for _ in range(count):
            if not candidates:
                return
            car = candidates.pop()
            origin = next(c for c in codes if locations[c].pk == car.location_id)
            destination = rng.choice([c for c in codes if c != origin])
            sender = staff[f"manager.{city[origin]}"]
            receiver = staff[f"manager.{city[destination]}"]
            transfer = services.transfer_request(
                user=staff[f"sales.{city[origin]}"],
                car_id=car.pk,
                to_location_id=locations[destination].pk,
                reason=rng.choice(["Sells faster there", "Buyer waiting at that site", "Too much of this model here", "Space in the showroom"]),
                planned_on=timezone.localdate(now) + timedelta(days=rng.randint(0, 7)),
                transport_cost=Decimal(rng.choice([85, 95, 110, 120, 140, 160])),
            )
            if state == "rejected":
                services.transfer_reject(user=sender, transfer_id=transfer.pk, note="Keep it here for the weekend sale")
            elif state == "cancelled":
                services.transfer_cancel(user=receiver, transfer_id=transfer.pk, note="No room on the forecourt")
            elif state != "requested":
                services.transfer_approve(user=sender, transfer_id=transfer.pk)
                if state in ("dispatched", "received"):
                    services.transfer_dispatch(user=sender, transfer_id=transfer.pk)
                if state == "received":
                    services.transfer_receive(user=receiver, transfer_id=transfer.pk)
            summary.transfers[state] += 1


def _create_locations(summary: Summary) -> dict[str, Location]:
    locations = {}
    for code, name, address, _share in LOCATIONS:
        locations[code], _ = Location.objects.get_or_create(
            code=code, defaults={"name": name, "address": address, "time_zone": "Europe/London"}
        )
    summary.locations = len(locations)
    return locations


def _create_staff(locations: dict[str, Location], password: str, summary: Summary) -> dict[str, User]:
    # One hash for every demo user: they share the published demo password anyway,
    # and eleven PBKDF2 rounds would be most of the run time.
    encoded = make_password(password)
    users = {}
    for username, first, last, role, codes in STAFF:
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            # Someone made this account by hand; it is theirs, leave it as it is.
            users[username] = existing
            summary.users_existing.append(username)
            continue
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@ifixit.example",
            password=encoded,
            is_superuser=role == roles.ADMIN,
            sees_all_locations=codes == ALL,
        )
        user.save()
        user_set_role(user=user, role=role)
        if codes != ALL:
            user.locations.set([locations[c] for c in codes])
        users[username] = user
        summary.users_created.append(username)
    return users


class _DemoPlanner:
    def __init__(
        self,
        *,
        rng: Random,
        funding_rng: Random,
        now: datetime,
        locations: dict[str, Location],
        staff: dict[str, User],
        summary: Summary,
    ):
        self.rng = rng
        self.funding_rng = funding_rng
        self.now = now
        self.today = timezone.localtime(now, LONDON).date()
        self.locations = locations
        self.summary = summary
        self.buyer = staff["buyer"]
        city = {"LDS": "leeds", "MAN": "manchester", "SHF": "sheffield"}
        self.by_role = {
            role: {code: staff[f"{role}.{city[code]}"] for code in locations}
            for role in (roles.MANAGER, roles.SALES, roles.WORKSHOP)
        }
        self.vins: set[str] = set()
        self.plates: set[str] = set()
        self.location_codes = [code for code, *_ in LOCATIONS]
        self.location_weights = [share for *_, share in LOCATIONS]

    # -- writing

    def create(self, car_count: int) -> None:
        finals = self._final_phases(car_count)
        long_fixing_left = max(2, round(0.12 * finals.count(Phase.FIXING)))
        plans = []
        for final in finals:
            long_fixing = final == Phase.FIXING and long_fixing_left > 0
            long_fixing_left -= long_fixing
            plans.append(self._plan_car(final, long_fixing=long_fixing))

        cars = [plan.car for plan in plans]
        Car.objects.bulk_create(cars, batch_size=BATCH_SIZE)
        if any(c.pk is None for c in cars):  # SQLite before 3.35 returns no keys from bulk inserts
            ids = dict(Car.objects.values_list("vin", "pk"))
            for car in cars:
                car.pk = ids[car.vin]

        changes, items, sales = [], [], []
        for plan in plans:
            for row in [*plan.changes, *plan.items, *([plan.sale] if plan.sale else [])]:
                row.car_id = plan.car.pk
            changes += plan.changes
            items += plan.items
            if plan.sale:
                sales.append(plan.sale)
        PhaseChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
        RepairItem.objects.bulk_create(items, batch_size=BATCH_SIZE)
        Sale.objects.bulk_create(sales, batch_size=BATCH_SIZE)

        s = self.summary
        s.cars_by_phase = Counter(c.phase for c in cars)
        s.phase_changes, s.repair_items, s.sales = len(changes), len(items), len(sales)
        s.sales_total = sum((x.price for x in sales), Decimal("0"))
        s.gross_profit_total = sum((x.gross_profit for x in sales), Decimal("0"))
        s.loss_making_sales = sum(1 for x in sales if x.gross_profit < 0)
        fixing_ages = [(self.now - c.phase_changed_at).days for c in cars if c.phase == Phase.FIXING]
        s.longest_fixing_days = max(fixing_ages, default=0)

    def _final_phases(self, car_count: int) -> list[str]:
        """How many cars end in each phase (largest remainder, at least one each), shuffled."""
        exact = {phase: share * car_count for phase, share in PHASE_SHARES.items()}
        counts = {phase: max(1, math.floor(x)) for phase, x in exact.items()}
        by_remainder = sorted(exact, key=lambda p: exact[p] - math.floor(exact[p]), reverse=True)
        i = 0
        while sum(counts.values()) < car_count:
            counts[by_remainder[i % len(by_remainder)]] += 1
            i += 1
        while sum(counts.values()) > car_count:
            counts[Phase.SOLD] -= 1
        finals = [phase for phase, n in counts.items() for _ in range(n)]
        self.rng.shuffle(finals)
        return finals

    # -- one car

    def _plan_car(self, final: str, *, long_fixing: bool) -> CarPlan:
        rng = self.rng
        code = rng.choices(self.location_codes, self.location_weights)[0]
        location = self.locations[code]
        steps = self._steps(final)
        self._date_steps(steps, final, long_fixing=long_fixing)

        purchased_at = next((s.at for s in steps if s.to_phase == Phase.PURCHASED), None)
        reference = purchased_at or steps[0].at
        car, spec, age, trim_index = self._car_details(reference, location)
        car.phase = steps[-1].to_phase
        car.phase_changed_at = steps[-1].at
        car.created_at = steps[0].at
        car.created_by = self.buyer

        auction = rng.choice(AUCTIONS)
        hammer = self._hammer_price(car, spec, age, trim_index)
        guide = Decimal(100 * round(float(hammer) * rng.uniform(0.9, 1.1) / 100))  # the auction's estimate
        if purchased_at is not None:
            car.purchased_on = timezone.localtime(purchased_at, LONDON).date()
            car.purchase_price = hammer
            rate = Decimal(str(rng.uniform(0.05, 0.08)))  # buyer's premium
            car.auction_fees = max(Decimal("195.00"), (hammer * rate).quantize(PENNY, ROUND_HALF_UP))
            car.transport_cost = Decimal(5 * rng.randint(12, 60)).quantize(PENNY)
            car.purchase_funding = self._purchase_funding(hammer)
        if rng.random() < 0.4:
            car.notes = rng.choice(CAR_NOTES)

        changes = self._changes(steps, code, auction, guide=guide, hammer=hammer)
        items = self._repairs(steps, code, car)
        repair_total = sum((i.parts_cost + i.labour_cost for i in items), Decimal("0"))
        cost = car.purchase_price + car.auction_fees + car.transport_cost + repair_total

        sale = None
        if final == Phase.SOLD:
            sale = self._sale(car, steps, code, cost)
            changes[-1].changed_by = sale.sold_by
            # In the words sale_record uses; the finance demo rewrites it for the sales it puts on finance.
            changes[-1].note = f"Sold for {format_money(sale.price, 2)} ({sale.payment_display.lower()})"
        elif final in (Phase.LISTED, Phase.RESERVED) or (final == Phase.READY and rng.random() < 0.5):
            car.asking_price = _retail_price(cost + Decimal(round(rng.triangular(700, 3200, 1500))))
        return CarPlan(car=car, changes=changes, items=items, sale=sale)

    def _steps(self, final: str) -> list[Step]:
        """The phases the car passes through, in order, each with the days the car
        spent in the phase before it."""
        rng = self.rng
        steps: list[Step] = []

        def go(phase: str, days: int, note: str = "") -> bool:
            steps.append(Step(phase, days, note))
            return phase == final

        if (final == Phase.SOURCED or rng.random() < 0.7) and go(Phase.SOURCED, 0):
            return steps
        if go(Phase.PURCHASED, rng.randint(1, 7) if steps else 0):
            return steps
        arrived_via = Phase.PURCHASED
        if final == Phase.IN_TRANSIT or rng.random() < 0.8:
            if go(Phase.IN_TRANSIT, rng.choice((0, 0, 1, 1, 2, 3))):
                return steps
            if rng.random() < 0.03:
                go(Phase.PURCHASED, rng.randint(1, 2), "Transporter cancelled; rebooked")
                go(Phase.IN_TRANSIT, rng.randint(1, 3))
            arrived_via = Phase.IN_TRANSIT
        wait = rng.randint(1, 5) if arrived_via == Phase.IN_TRANSIT else rng.choice((0, 1, 2, 3))
        if final == Phase.FIXING or rng.random() < 0.85:
            if go(Phase.FIXING, wait):
                return steps
            wait = int(rng.triangular(3, 40, 8))
        if go(Phase.READY, wait, "" if steps[-1].to_phase == Phase.FIXING else "No work needed"):
            return steps
        if go(Phase.LISTED, rng.randint(1, 5)):
            return steps
        if rng.random() < 0.06:
            reason, job = rng.choice(GO_BACKS)
            go(Phase.FIXING, int(rng.triangular(5, 40, 12)), reason)
            steps[-1].job = job
            go(Phase.READY, rng.randint(2, 10))
            if go(Phase.LISTED, rng.randint(1, 3)):
                return steps
        falls_through = rng.random() < (0.1 if final == Phase.LISTED else 0.07)
        if falls_through and final in (Phase.LISTED, Phase.RESERVED, Phase.SOLD):
            go(Phase.RESERVED, int(rng.triangular(5, 60, 16)), rng.choice(RESERVE_NOTES))
            go(Phase.LISTED, rng.randint(1, 10), rng.choice(FALL_THROUGHS))
            if final == Phase.LISTED:
                return steps
        listed_days = int(rng.triangular(5, 60, 16))
        if final == Phase.RESERVED or rng.random() < 0.7:
            if go(Phase.RESERVED, listed_days, rng.choice(RESERVE_NOTES)):
                return steps
            go(Phase.SOLD, rng.randint(1, 10))
        else:
            go(Phase.SOLD, listed_days)
        return steps

    def _date_steps(self, steps: list[Step], final: str, *, long_fixing: bool) -> None:
        """Give each step a timestamp in working hours, ending in the past."""
        rng = self.rng
        if final == Phase.SOLD:
            self._fit_days_to_sell(steps)
        offsets, total = [], 0
        for step in steps:
            total += step.days
            offsets.append(total)

        if final == Phase.SOLD:
            bought = next(o for s, o in zip(steps, offsets) if s.to_phase == Phase.PURCHASED)
            days_to_sell = offsets[-1] - bought
            bought_days_ago = rng.randint(max(30, days_to_sell), HISTORY_DAYS)
            start = self.today - timedelta(days=bought_days_ago + bought)
        else:
            in_phase = rng.randint(31, 65) if long_fixing else self._days_in_current_phase(final)
            start = self.today - timedelta(days=total + in_phase)

        # Drawn once, so that the number of draws, and so every later car, does not
        # depend on the time of day the command runs.
        clocks = [_working_time(rng) for _ in steps]
        gaps = [timedelta(minutes=rng.randint(10, 150)) for _ in steps]
        shift = timedelta(0)
        while True:
            prev = None
            for step, offset, clock, gap in zip(steps, offsets, clocks, gaps):
                day = start + timedelta(days=offset) - shift
                at = datetime.combine(day, clock, tzinfo=LONDON).astimezone(UTC)
                if prev is not None and at < prev + timedelta(minutes=10):  # two moves the same day
                    at = prev + gap
                step.at = prev = at
            if steps[-1].at <= self.now:
                return
            shift += timedelta(days=1)  # a change later today than now: move the whole history back a day

    def _days_in_current_phase(self, final: str) -> int:
        rng = self.rng
        if final == Phase.FIXING:
            return rng.randint(0, 20) if rng.random() < 0.8 else rng.randint(20, 29)
        return {
            Phase.SOURCED: lambda: rng.randint(0, 6),
            Phase.PURCHASED: lambda: rng.randint(0, 4),
            Phase.IN_TRANSIT: lambda: rng.randint(0, 5),
            Phase.READY: lambda: rng.randint(0, 5) if rng.random() < 0.85 else rng.randint(6, 14),
            Phase.LISTED: lambda: int(rng.triangular(0, 75, 12)),
            Phase.RESERVED: lambda: rng.randint(0, 10),
        }[final]()

    def _fit_days_to_sell(self, steps: list[Step]) -> None:
        """Days from purchase to sale between 20 and 120, by stretching or cutting the time listed."""
        bought = next(i for i, s in enumerate(steps) if s.to_phase == Phase.PURCHASED)
        after = steps[bought + 1:]
        listed_waits = [s for s in after if s.to_phase in (Phase.RESERVED, Phase.SOLD) and s.days > 1]
        total = sum(s.days for s in after)
        if total < 20:
            (listed_waits[-1] if listed_waits else after[-1]).days += 20 - total
        while total > 120:
            longest = max(after, key=lambda s: s.days)
            longest.days -= min(longest.days - 1, total - 120)
            total = sum(s.days for s in after)

    def _changes(
        self, steps: list[Step], code: str, auction: str, *, guide: Decimal, hammer: Decimal
    ) -> list[PhaseChange]:
        rng = self.rng
        changes = []
        previous = ""
        for step in steps:
            to = step.to_phase
            note = step.note
            if to == Phase.SOURCED:
                who = self.buyer
                note = f"Spotted at {auction}, lot {rng.randint(1, 600)}; guide £{guide:,.0f}"
            elif to == Phase.PURCHASED:
                who = self.buyer
                if not note:
                    note = f"Won at {auction}, hammer £{hammer:,.0f}"
            elif to == Phase.IN_TRANSIT:
                who = self.buyer
            elif to == Phase.FIXING:
                who = self.by_role[roles.WORKSHOP][code]
            elif to == Phase.READY:
                role = roles.WORKSHOP if previous == Phase.FIXING else roles.MANAGER
                who = self.by_role[role][code]
                if previous == Phase.FIXING and not note and rng.random() < 0.3:
                    note = rng.choice(["Work complete, valeted", "All jobs done; road tested", "Passed inspection"])
            elif to in (Phase.LISTED, Phase.SOLD):
                role = roles.MANAGER if rng.random() < 0.2 else roles.SALES
                who = self.by_role[role][code]
            else:
                who = self.by_role[roles.SALES][code]
            changes.append(PhaseChange(from_phase=previous, to_phase=to, changed_at=step.at, changed_by=who, note=note))
            previous = to
        return changes

    def _repairs(self, steps: list[Step], code: str, car: Car) -> list[RepairItem]:
        rng = self.rng
        workshop = self.by_role[roles.WORKSHOP][code]
        items = []
        for i, step in enumerate(steps):
            if step.to_phase != Phase.FIXING:
                continue
            start = step.at
            end = steps[i + 1].at if i + 1 < len(steps) else self.now
            jobs = [step.job] if step.job else self._workshop_jobs(car)
            span = (end - start).total_seconds()
            moments = sorted(start + timedelta(seconds=rng.uniform(0.05, 0.95) * span) for _ in jobs)
            for (category, description, parts, hours), at in zip(jobs, moments):
                if (category, description) == MOT_TEST[:2]:
                    parts_cost, labour_cost = Decimal("0.00"), MOT_FEE
                else:
                    parts_cost = Decimal(str(round(rng.uniform(*parts), 2))).quantize(PENNY)
                    worked = round(rng.uniform(*hours) * 4) / 4 or 0.25  # booked in quarter hours
                    labour_cost = (LABOUR_RATE * Decimal(str(worked))).quantize(PENNY)
                items.append(
                    RepairItem(category=category, description=description, parts_cost=parts_cost,
                               labour_cost=labour_cost, created_at=at, created_by=workshop)
                )
        return items

    def _workshop_jobs(self, car: Car) -> list[tuple]:
        """One to six jobs; older, higher-mileage cars need more."""
        rng = self.rng
        wear = min(1.0, car.mileage / 120_000)
        count = max(1, min(6, round(rng.triangular(1, 6, 1.5 + 3 * wear))))
        jobs = []
        if rng.random() < 0.55:
            jobs.append(FULL_VALET)
        if rng.random() < 0.35:
            jobs.append(MOT_TEST)
        elif rng.random() < 0.3:
            jobs.append(PRE_SALE_INSPECTION)
        others = rng.sample(REPAIRS, k=max(0, count - len(jobs)))
        return (others + jobs)[:count]

    def _sale(self, car: Car, steps: list[Step], code: str, cost: Decimal) -> Sale:
        rng = self.rng
        listed_days = sum(s.days for s in steps if s.to_phase in (Phase.RESERVED, Phase.SOLD))
        roll = rng.random() - (0.08 if listed_days > 45 else 0)  # stock that sat is sold cheaper
        if roll < 0.07:
            profit = -rng.uniform(50, 1500)
        elif roll < 0.15:
            profit = rng.uniform(0, 500)
        elif roll < 0.93:
            profit = rng.triangular(500, 3000, 1100) + 0.02 * float(car.purchase_price)
        else:
            profit = rng.uniform(3000, 5000)
        car.asking_price = _retail_price(cost + Decimal(round(profit)))
        discount = Decimal(0 if rng.random() < 0.45 else 50 * rng.randint(1, 10))
        price = max(Decimal("100.00"), car.asking_price - discount)
        sold_by = self.by_role[roles.MANAGER if rng.random() < 0.2 else roles.SALES][code]
        return Sale(
            sold_on=timezone.localtime(steps[-1].at, LONDON).date(),
            price=price,
            location=car.location,
            cost_at_sale=cost,
            buyer_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            sold_by=sold_by,
            created_at=steps[-1].at,
            # Paid in cash and handed over when sold, as sale_record does; the finance demo
            # puts some of them on finance and holds back those still waiting for the lender.
            payment=Payment.CASH,
            delivered_at=steps[-1].at,
            delivered_by=sold_by,
        )

    def _purchase_funding(self, hammer: Decimal) -> str:
        """About three cars in ten are bought on the stock-finance line, the dearer ones
        more often: own funds go further on cheap stock."""
        share = 0.12 + 0.3 * min(1.0, float(hammer) / 12000)
        return PurchaseFunding.STOCK_FINANCE if self.funding_rng.random() < share else PurchaseFunding.CASH

    # -- the car itself

    def _car_details(self, reference: datetime, location: Location) -> tuple[Car, ModelSpec, float, int]:
        """The car, with what its price depends on: its model, age in years at
        purchase and how far up the trim ladder it is."""
        rng = self.rng
        when = timezone.localtime(reference, LONDON).date()
        spec = rng.choices(CATALOGUE, [m.popularity for m in CATALOGUE])[0]
        years = list(range(max(spec.first_year, 2010), min(spec.last_year, 2024, when.year) + 1))
        year = rng.choices(years, [AGE_WEIGHTS[min(when.year - y, len(AGE_WEIGHTS) - 1)] for y in years])[0]
        reg_month = rng.randint(1, 12 if year < when.year else max(1, when.month - 1))
        registered = date(year, reg_month, rng.randint(1, 28))
        age = max(0.1, (when - registered).days / 365.25)

        fuels = [(f, w * _diesel_decline(f, year)) for f, w, since in spec.fuels if since <= year]
        fuel = rng.choices([f for f, _ in fuels], [w for _, w in fuels])[0]
        if fuel in (Fuel.HYBRID, Fuel.ELECTRIC):
            transmission = Car.Transmission.AUTOMATIC
        else:
            auto = min(0.95, spec.auto_share + 0.025 * (year - 2010))
            transmission = Car.Transmission.AUTOMATIC if rng.random() < auto else Car.Transmission.MANUAL
        body = rng.choices([b for b, _ in spec.bodies], [w for _, w in spec.bodies])[0]
        trim_index = min(len(spec.trims) - 1, int(rng.triangular(0, len(spec.trims), 1)))
        miles = age * 8000 * rng.lognormvariate(0, 0.35) + rng.randint(50, 900)

        car = Car(
            vin=self._vin(spec, year),
            registration=self._plate(year, reg_month),
            make=spec.make,
            model=spec.model,
            trim=spec.trims[trim_index],
            year=year,
            mileage=min(int(miles), 220_000),
            colour=rng.choices([c for c, _ in COLOURS], [w for _, w in COLOURS])[0],
            fuel=fuel,
            transmission=transmission,
            body_type=body,
            location=location,
        )
        return car, spec, age, trim_index

    def _hammer_price(self, car: Car, spec: ModelSpec, age: float, trim_index: int) -> Decimal:
        rng = self.rng
        value = spec.new_price * 0.72 * 0.86**age * (1 + 0.05 * trim_index)
        expected_miles = 8000 * age
        value *= min(1.12, max(0.75, 1 - 0.3 * (car.mileage - expected_miles) / (expected_miles + 25000)))
        if car.transmission == Car.Transmission.AUTOMATIC and car.fuel not in (Fuel.HYBRID, Fuel.ELECTRIC):
            value *= 1.05
        value *= rng.gauss(1, 0.06)
        value = min(32000, max(1800, value))
        return Decimal(50 * round(value / 50)).quantize(PENNY)  # auctions bid in £50 steps

    def _vin(self, spec: ModelSpec, year: int) -> str:
        rng = self.rng
        while True:
            body = spec.wmi + "".join(rng.choice(VIN_CHARS) for _ in range(5))
            rest = VIN_YEAR_CODES[year] + rng.choice(VIN_CHARS) + f"{rng.randint(0, 999999):06d}"
            vin = body + _vin_check_digit(body + "0" + rest) + rest
            if vin not in self.vins:
                self.vins.add(vin)
                return vin

    def _plate(self, year: int, month: int) -> str:
        """A current-format plate whose age identifier matches the registration date:
        March to August of 2015 is "15", September 2015 to February 2016 is "65"."""
        rng = self.rng
        if month <= 2:
            age_id = (year - 1) % 100 + 50
        elif month <= 8:
            age_id = year % 100
        else:
            age_id = year % 100 + 50
        while True:
            plate = (
                "".join(rng.choice(PLATE_LETTERS) for _ in range(2))
                + f"{age_id:02d}"
                + "".join(rng.choice(PLATE_LETTERS) for _ in range(3))
            )
            if plate not in self.plates:
                self.plates.add(plate)
                return plate


# --- small helpers -------------------------------------------------------------------

PLATE_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"  # never I, Q or Z
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # never I, O or Q
VIN_YEAR_CODES = dict(zip(range(2010, 2025), "ABCDEFGHJKLMNPR"))
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9))),
    **dict(zip("JKLMN", range(1, 6))),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10))),
}
_VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def _vin_check_digit(vin: str) -> str:
    """ISO 3779's check digit (position 9), which North American VINs must carry."""
    remainder = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS)) % 11
    return "X" if remainder == 10 else str(remainder)


def _diesel_decline(fuel: str, year: int) -> float:
    if fuel != Fuel.DIESEL:
        return 1.0
    return 1.0 if year < 2017 else 0.45 if year < 2020 else 0.15


def _working_time(rng: Random) -> time:
    minutes = rng.randint(8 * 60, 17 * 60 + 30)
    return time(minutes // 60, minutes % 60)


def _retail_price(amount: Decimal) -> Decimal:
    """The forecourt price at or above amount: £8,495, £8,995, or £4,245 under £5,000."""
    step = 500 if amount >= 5000 else 250
    return Decimal(math.ceil((amount + 5) / step) * step - 5).quantize(PENNY)
