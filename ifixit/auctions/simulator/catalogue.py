"""What the simulated auction sells: UK used and salvage cars, with the weights and
price factors that make a lot list look like a real salvage sale (mostly damaged
everyday cars, a few vans and premium cars, values that fall with age, mileage and
damage). Pure data; market.py draws from it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Model:
    make: str
    model: str
    trims: tuple[str, ...]
    body_types: tuple[str, ...]
    fuels: tuple[tuple[str, int], ...]  # (fuel, weight)
    new_price: int  # typical list price new, in pounds
    first_year: int
    last_year: int  # the last model year sold new
    popularity: int  # relative frequency at auction
    automatic_share: float = 0.35


PETROL = (("petrol", 1),)
PETROL_DIESEL = (("petrol", 6), ("diesel", 4))
DIESEL = (("diesel", 1),)
PETROL_HYBRID = (("petrol", 5), ("hybrid", 5))
PREMIUM = (("petrol", 4), ("diesel", 5), ("plug-in hybrid", 1))
ELECTRIC = (("electric", 1),)

# One row a model, to read as a table.
# fmt: off
MODELS: tuple[Model, ...] = (
    Model("Ford", "Fiesta", ("Zetec", "Titanium", "ST-Line", "Style"), ("hatchback",), PETROL_DIESEL, 18_000, 2008, 2023, 60, 0.15),
    Model("Ford", "Focus", ("Zetec", "Titanium", "ST-Line", "Active"), ("hatchback", "estate"), PETROL_DIESEL, 23_000, 2011, 2025, 50, 0.25),
    Model("Ford", "Kuga", ("Zetec", "Titanium", "ST-Line"), ("SUV",), (("petrol", 3), ("diesel", 4), ("plug-in hybrid", 2)), 31_000, 2012, 2026, 25, 0.5),
    Model("Ford", "Transit Custom", ("Trend", "Limited", "Sport"), ("van",), DIESEL, 33_000, 2013, 2026, 20, 0.2),
    Model("Vauxhall", "Corsa", ("SE", "SRi", "Design", "Elite"), ("hatchback",), PETROL_DIESEL, 17_500, 2008, 2026, 55, 0.15),
    Model("Vauxhall", "Astra", ("SRi", "Design", "Elite", "GS Line"), ("hatchback", "estate"), PETROL_DIESEL, 22_500, 2010, 2026, 40, 0.25),
    Model("Vauxhall", "Mokka", ("SE", "SRi", "Griffin"), ("SUV",), PETROL_DIESEL, 23_500, 2013, 2026, 18, 0.4),
    Model("Volkswagen", "Polo", ("S", "SE", "Match", "R-Line"), ("hatchback",), PETROL, 19_500, 2009, 2026, 35, 0.25),
    Model("Volkswagen", "Golf", ("S", "SE", "Match", "GTI", "R-Line"), ("hatchback", "estate"), PETROL_DIESEL, 27_000, 2009, 2026, 45, 0.45),
    Model("Volkswagen", "Tiguan", ("SE", "Match", "R-Line"), ("SUV",), PETROL_DIESEL, 33_000, 2011, 2026, 18, 0.6),
    Model("Volkswagen", "Transporter", ("Startline", "Highline"), ("van",), DIESEL, 36_000, 2010, 2026, 12, 0.2),
    Model("BMW", "1 Series", ("SE", "Sport", "M Sport"), ("hatchback",), PREMIUM, 28_000, 2011, 2026, 25, 0.7),
    Model("BMW", "3 Series", ("SE", "Sport", "M Sport"), ("saloon", "estate"), PREMIUM, 37_000, 2012, 2026, 28, 0.85),
    Model("BMW", "X3", ("xLine", "M Sport"), ("SUV",), PREMIUM, 48_000, 2011, 2026, 12, 0.95),
    Model("Mercedes-Benz", "A-Class", ("SE", "Sport", "AMG Line"), ("hatchback", "saloon"), PREMIUM, 30_000, 2012, 2026, 25, 0.8),
    Model("Mercedes-Benz", "C-Class", ("SE", "Sport", "AMG Line"), ("saloon", "estate", "coupe"), PREMIUM, 40_000, 2011, 2026, 22, 0.9),
    Model("Mercedes-Benz", "Sprinter", ("Progressive", "Premium"), ("van",), DIESEL, 42_000, 2010, 2026, 8, 0.3),
    Model("Audi", "A1", ("SE", "Sport", "S line"), ("hatchback",), PETROL, 21_500, 2011, 2026, 15, 0.4),
    Model("Audi", "A3", ("SE", "Sport", "S line"), ("hatchback", "saloon"), PETROL_DIESEL, 29_000, 2010, 2026, 25, 0.6),
    Model("Audi", "A4", ("SE", "Sport", "S line"), ("saloon", "estate"), PREMIUM, 36_000, 2010, 2026, 15, 0.8),
    Model("Audi", "Q5", ("Sport", "S line", "Black Edition"), ("SUV",), PREMIUM, 48_000, 2011, 2026, 10, 0.95),
    Model("Toyota", "Yaris", ("Icon", "Design", "Excel"), ("hatchback",), PETROL_HYBRID, 20_500, 2009, 2026, 30, 0.6),
    Model("Toyota", "Corolla", ("Icon", "Design", "Excel", "GR Sport"), ("hatchback", "estate"), (("hybrid", 1),), 29_000, 2019, 2026, 22, 1.0),
    Model("Toyota", "C-HR", ("Icon", "Design", "Excel"), ("SUV",), (("hybrid", 1),), 30_000, 2017, 2026, 15, 1.0),
    Model("Nissan", "Qashqai", ("Visia", "Acenta", "N-Connecta", "Tekna"), ("SUV",), PETROL_DIESEL, 28_000, 2008, 2026, 45, 0.35),
    Model("Nissan", "Juke", ("Visia", "Acenta", "N-Connecta", "Tekna"), ("SUV",), PETROL, 22_000, 2010, 2026, 30, 0.3),
    Model("Nissan", "Leaf", ("Acenta", "N-Connecta", "Tekna"), ("hatchback",), ELECTRIC, 29_000, 2011, 2024, 10, 1.0),
    Model("Kia", "Sportage", ("2", "3", "GT-Line"), ("SUV",), (("petrol", 4), ("diesel", 3), ("hybrid", 3)), 30_000, 2010, 2026, 25, 0.45),
    Model("Kia", "Ceed", ("2", "3", "GT-Line"), ("hatchback", "estate"), PETROL_DIESEL, 22_500, 2012, 2026, 15, 0.3),
    Model("Kia", "Niro", ("2", "3", "4"), ("SUV",), (("hybrid", 2), ("electric", 1)), 30_000, 2016, 2026, 12, 1.0),
    Model("Hyundai", "Tucson", ("SE", "Premium", "N Line"), ("SUV",), (("petrol", 4), ("diesel", 3), ("hybrid", 3)), 31_000, 2015, 2026, 20, 0.45),
    Model("Hyundai", "i10", ("SE", "Premium"), ("hatchback",), PETROL, 14_000, 2008, 2026, 20, 0.1),
    Model("Peugeot", "208", ("Active", "Allure", "GT"), ("hatchback",), PETROL_DIESEL, 19_000, 2012, 2026, 30, 0.3),
    Model("Peugeot", "3008", ("Active", "Allure", "GT"), ("SUV",), PETROL_DIESEL, 30_000, 2009, 2026, 15, 0.55),
    Model("Renault", "Clio", ("Play", "Iconic", "RS Line"), ("hatchback",), PETROL_DIESEL, 18_000, 2009, 2026, 30, 0.2),
    Model("Skoda", "Octavia", ("SE", "SE L", "vRS"), ("hatchback", "estate"), PETROL_DIESEL, 26_000, 2009, 2026, 25, 0.45),
    Model("Skoda", "Fabia", ("S", "SE", "Monte Carlo"), ("hatchback",), PETROL, 17_500, 2008, 2026, 18, 0.15),
    Model("SEAT", "Leon", ("SE", "FR", "Cupra"), ("hatchback", "estate"), PETROL_DIESEL, 24_000, 2009, 2026, 20, 0.35),
    Model("MINI", "Hatch", ("One", "Cooper", "Cooper S"), ("hatchback",), PETROL, 21_000, 2008, 2026, 22, 0.4),
    Model("MINI", "Countryman", ("Cooper", "Cooper S", "Cooper SE"), ("SUV",), (("petrol", 4), ("plug-in hybrid", 1)), 29_000, 2011, 2026, 10, 0.6),
    Model("Honda", "Civic", ("SE", "SR", "EX", "Type R"), ("hatchback",), PETROL_HYBRID, 26_000, 2008, 2026, 15, 0.45),
    Model("Honda", "Jazz", ("SE", "EX", "Crosstar"), ("hatchback",), PETROL_HYBRID, 19_500, 2008, 2026, 12, 0.7),
    Model("Mazda", "CX-5", ("SE-L", "Sport", "GT Sport"), ("SUV",), PETROL_DIESEL, 31_000, 2012, 2026, 10, 0.5),
    Model("Mazda", "MX-5", ("SE-L", "Sport", "GT Sport"), ("convertible",), PETROL, 27_000, 2008, 2026, 6, 0.2),
    Model("Land Rover", "Range Rover Evoque", ("S", "SE", "HSE"), ("SUV",), PREMIUM, 45_000, 2011, 2026, 12, 0.95),
    Model("Land Rover", "Discovery Sport", ("S", "SE", "HSE"), ("SUV",), PREMIUM, 42_000, 2015, 2026, 10, 0.95),
    Model("Volvo", "XC60", ("Momentum", "R-Design", "Inscription"), ("SUV",), PREMIUM, 47_000, 2009, 2026, 8, 0.9),
    Model("Tesla", "Model 3", ("Standard Range", "Long Range", "Performance"), ("saloon",), ELECTRIC, 43_000, 2019, 2026, 12, 1.0),
    Model("Tesla", "Model Y", ("Standard Range", "Long Range", "Performance"), ("SUV",), ELECTRIC, 48_000, 2022, 2026, 8, 1.0),
    Model("Citroen", "C3", ("Feel", "Flair", "Shine"), ("hatchback",), PETROL_DIESEL, 17_500, 2010, 2026, 18, 0.15),
    Model("Dacia", "Sandero", ("Essential", "Comfort", "Stepway"), ("hatchback",), PETROL, 14_000, 2013, 2026, 18, 0.1),
    Model("Dacia", "Duster", ("Essential", "Comfort", "Journey"), ("SUV",), PETROL_DIESEL, 19_000, 2013, 2026, 12, 0.1),
    Model("Fiat", "500", ("Pop", "Lounge", "Sport"), ("hatchback", "convertible"), PETROL, 15_500, 2008, 2026, 20, 0.15),
    Model("Suzuki", "Swift", ("SZ-L", "SZ-T", "SZ5"), ("hatchback",), PETROL, 16_500, 2010, 2026, 12, 0.15),
    Model("Jaguar", "F-Pace", ("Prestige", "R-Sport", "R-Dynamic"), ("SUV",), PREMIUM, 52_000, 2016, 2026, 5, 1.0),
    Model("Mitsubishi", "Outlander", ("Juro", "4h", "5h"), ("SUV",), (("diesel", 1), ("plug-in hybrid", 2)), 38_000, 2012, 2022, 8, 0.95),
)
# fmt: on

COLOURS = (
    ("Black", 18), ("White", 17), ("Grey", 20), ("Silver", 12), ("Blue", 14), ("Red", 9),
    ("Green", 2), ("Orange", 2), ("Yellow", 1), ("Brown", 1), ("Bronze", 1), ("Purple", 1), ("Beige", 1),
)

# Salvage yards around the UK.
REGIONS = (
    ("Dartford", 12), ("Birmingham", 12), ("Manchester", 11), ("Leeds", 10), ("Bristol", 8), ("Glasgow", 7),
    ("Newcastle", 6), ("Southampton", 6), ("Cardiff", 5), ("Nottingham", 6), ("Peterborough", 5),
    ("Exeter", 3), ("Edinburgh", 4), ("Sheffield", 5), ("Norwich", 3), ("Belfast", 2),
)

# (damage, weight, value factor against a clean retail price, odds of runs and drives / starts / non-runner)
DAMAGE = (
    ("front end", 30, 0.45, (35, 35, 30)),
    ("rear end", 14, 0.58, (60, 25, 15)),
    ("side", 16, 0.55, (60, 25, 15)),
    ("all over", 5, 0.22, (10, 30, 60)),
    ("hail", 4, 0.68, (90, 8, 2)),
    ("flood", 4, 0.25, (10, 30, 60)),
    ("fire", 2, 0.12, (0, 10, 90)),
    ("vandalism", 3, 0.62, (60, 25, 15)),
    ("mechanical", 12, 0.5, (15, 35, 50)),
    ("none", 10, 0.82, (85, 10, 5)),
)

CONDITIONS = ("runs and drives", "starts", "non-runner")
CONDITION_FACTOR = {"runs and drives": 1.0, "starts": 0.85, "non-runner": 0.68}

# A buyer pays at least this for any car: its value as scrap and parts.
SCRAP_VALUE = 150
