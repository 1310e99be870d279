"""Synthetic market history: sale facts that behave like the used-car market (prices by
make and model, falling with age and mileage, a seasonal swing, spread, a few outliers),
for the demo and for the 1,000,000-fact benchmark. Deterministic for a given seed."""

import math
import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from ifixit.analytics.models import SaleFact, age_band, mileage_band

# make, model, body, price new (£), share of the market
CATALOGUE = [
    ("Ford", "Fiesta", "hatchback", 19000, 9), ("Ford", "Focus", "hatchback", 24000, 8), ("Ford", "Kuga", "suv", 31000, 5),
    ("Vauxhall", "Corsa", "hatchback", 18000, 8), ("Vauxhall", "Astra", "hatchback", 23000, 5),
    ("Volkswagen", "Golf", "hatchback", 27000, 8), ("Volkswagen", "Polo", "hatchback", 20000, 6),
    ("Volkswagen", "Tiguan", "suv", 33000, 4), ("BMW", "3 Series", "saloon", 38000, 5), ("BMW", "X1", "suv", 36000, 3),
    ("Audi", "A3", "hatchback", 30000, 5), ("Audi", "Q5", "suv", 45000, 3), ("Mercedes-Benz", "A-Class", "hatchback", 31000, 4),
    ("Mercedes-Benz", "C-Class", "saloon", 40000, 3), ("Nissan", "Qashqai", "suv", 28000, 7), ("Toyota", "Yaris", "hatchback", 20000, 5),
    ("Toyota", "RAV4", "suv", 35000, 3), ("Kia", "Sportage", "suv", 30000, 5), ("Hyundai", "Tucson", "suv", 30000, 4),
    ("Skoda", "Octavia", "estate", 26000, 5), ("Mazda", "MX-5", "convertible", 27000, 2), ("Mini", "Cooper", "hatchback", 22000, 4),
    ("Peugeot", "208", "hatchback", 19000, 5), ("Tesla", "Model 3", "saloon", 42000, 2), ("Land Rover", "Discovery Sport", "suv", 40000, 2),
]
SOURCES = [("BCA", "auction", 5), ("Manheim", "auction", 3), ("Aston Barclay", "auction", 2), ("Retail listings", "retail", 3)]
REGIONS = ["North West", "Yorkshire", "West Midlands", "London", "South East", "Scotland", "South West", "East of England"]
# How a month's prices sit against the year's: spring and September up, deep winter down.
SEASON = [-0.035, -0.02, 0.03, 0.035, 0.02, 0.0, -0.01, -0.015, 0.03, 0.005, -0.02, -0.04]
# Convertibles swing harder with the weather; 4x4s the other way.
SEASON_SCALE = {"convertible": 3.0, "suv": 0.6}


def price_of(new: int, age: int, mileage: int, body: str, month: int, trend_years: float, rng: random.Random) -> float:
    value = new * (0.84 ** age) * math.exp(-mileage / 160_000) * (1 + 0.025 * trend_years)
    value *= 1 + SEASON[month - 1] * SEASON_SCALE.get(body, 1.0)
    value *= math.exp(rng.gauss(0, 0.09))
    if rng.random() < 0.004:
        value *= rng.choice([0.35, 2.4])  # a salvage sale or a keying error: an outlier
    return max(300.0, value)


def facts(*, count: int, seed: int = 42, end: date | None = None, years: int = 3, batch=None) -> Iterator[SaleFact]:
    rng = random.Random(seed)
    end = end or date.today()
    start = end - timedelta(days=365 * years)
    span = (end - start).days
    weights = [w for *_, w in CATALOGUE]
    source_weights = [w for *_, w in SOURCES]
    for i in range(count):
        make, model, body, new, _ = rng.choices(CATALOGUE, weights)[0]
        source, kind, _ = rng.choices(SOURCES, source_weights)[0]
        sold_on = start + timedelta(days=rng.randrange(span))
        age = min(15, int(rng.expovariate(1 / 4.5)))
        year = sold_on.year - age
        mileage = max(500, int(rng.gauss(age * 9_500 + 4_000, 6_000)))
        price = price_of(new, age, mileage, body, sold_on.month, (sold_on - start).days / 365, rng)
        yield SaleFact(
            kind=kind, source=source, source_ref=f"synthetic:{seed}:{i}", make=make, model=model, year=year, mileage=mileage,
            price=Decimal(f"{price:.0f}"), sale_date=None if rng.random() < 0.01 else sold_on, body_type=body,
            region=rng.choice(REGIONS), age_band=age_band(age), mileage_band=mileage_band(mileage),
            fuel=rng.choice(["petrol", "petrol", "diesel", "hybrid"]), transmission=rng.choice(["manual", "automatic"]),
            batch=batch,
        )
