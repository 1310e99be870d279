"""One spelling for every make, model and attribute, whatever the source wrote.

"VW", "Volkswagen" and "volkswagen" are one make; "Merc", "Mercedes" and "Mercedes Benz"
are Mercedes-Benz; a model keeps its letters but not its stray spaces or case ("golf gti"
-> "Golf GTI" where the model is known, else each word capitalised). Attributes map many
words to the few the warehouse knows, and anything else to "" (unknown), never guessed.
"""

import re

# Canonical makes and the other ways sources write them (lower case, no punctuation).
MAKES: dict[str, tuple[str, ...]] = {
    "Abarth": (), "Alfa Romeo": ("alfa",), "Aston Martin": ("aston",), "Audi": (), "Bentley": (), "BMW": ("bmw",),
    "Citroen": ("citroën",), "Cupra": (), "Dacia": (), "DS": ("ds automobiles",), "Fiat": (), "Ford": (),
    "Genesis": (), "Honda": (), "Hyundai": (), "Jaguar": ("jag",), "Jeep": (), "Kia": (), "Land Rover": ("landrover", "range rover"),
    "Lexus": (), "Mazda": (), "Mercedes-Benz": ("mercedes", "merc", "mercedes benz", "mb"), "MG": ("mg motor",),
    "Mini": ("bmw mini",), "Mitsubishi": (), "Nissan": (), "Peugeot": (), "Polestar": (), "Porsche": (),
    "Renault": (), "Seat": (), "Skoda": ("škoda",), "Smart": (), "SsangYong": ("ssang yong",), "Subaru": (),
    "Suzuki": (), "Tesla": (), "Toyota": (), "Vauxhall": ("opel",), "Volkswagen": ("vw", "v w", "volkswagon"),
    "Volvo": (),
}
_MAKE_INDEX = {re.sub(r"[^a-z0-9 ]", "", alias): make for make, aliases in MAKES.items() for alias in (make.lower(), *aliases)}

# Models whose spelling is not plain title case.
MODEL_SPELLINGS = {
    "golf gti": "Golf GTI", "id3": "ID.3", "id.3": "ID.3", "id4": "ID.4", "id.4": "ID.4", "cx5": "CX-5", "cx-5": "CX-5",
    "mx5": "MX-5", "mx-5": "MX-5", "rav4": "RAV4", "rav 4": "RAV4", "x-trail": "X-Trail", "xtrail": "X-Trail",
    "c-hr": "C-HR", "chr": "C-HR", "xc40": "XC40", "xc60": "XC60", "xc90": "XC90", "v40": "V40", "a1": "A1", "a3": "A3",
    "a4": "A4", "a6": "A6", "q3": "Q3", "q5": "Q5", "tt": "TT", "e-pace": "E-Pace", "f-pace": "F-Pace", "gle": "GLE",
    "glc": "GLC", "3 series": "3 Series", "1 series": "1 Series", "5 series": "5 Series", "x1": "X1", "x3": "X3",
    "model 3": "Model 3", "model y": "Model Y", "zs": "ZS", "hs": "HS", "mg4": "MG4", "up": "up!", "up!": "up!",
    "t-roc": "T-Roc", "troc": "T-Roc", "t-cross": "T-Cross", "ds3": "DS 3", "ds 3": "DS 3",
}


def make(value: str) -> str:
    """The canonical make, or the input tidied (title case) when it is not one we know."""
    tidy = " ".join((value or "").split())
    key = re.sub(r"[^a-z0-9 ]", "", tidy.lower().replace("-", " "))
    key = " ".join(key.split())
    if key in _MAKE_INDEX:
        return _MAKE_INDEX[key]
    compact = key.replace(" ", "")
    for alias, canonical in _MAKE_INDEX.items():
        if alias.replace(" ", "") == compact:
            return canonical
    return tidy.title() if tidy.islower() or tidy.isupper() else tidy


def _model_word(word: str) -> str:
    """One word of a model written all in one case: digits keep it in capitals (X5, GT86), and
    so do capitals of up to three letters, which are names in their own right (IQ, GLA, CLS),
    not a shouting file's words (FOCUS, AYGO)."""
    if any(ch.isdigit() for ch in word) and len(word) <= 4:
        return word.upper()
    if word.isupper() and len(word) <= 3:
        return word
    return word.capitalize()


def split_make_model(value: str) -> tuple[str, str, str]:
    """(make, model, trim) from one text naming all three ("Maruti Swift Dzire VDI",
    "Land Rover Discovery Sport TD4 SE"): the make is the longest known make of up to three
    words the text starts with, else its first word; the model is the next word and the trim
    the rest ("Swift", "Dzire VDI"). A model of two words ("Wagon R") is cut after its
    first: still one spelling for every listing of it. model is "" when the text names no more than a make."""
    words = (value or "").split()
    for count in (3, 2, 1):
        key = " ".join(re.sub(r"[^a-z0-9 ]", "", " ".join(words[:count]).lower().replace("-", " ")).split())
        if count <= len(words) and key in _MAKE_INDEX:
            break
    else:
        count = 1
    rest = words[count:]
    return make(" ".join(words[:count])), model(rest[0]) if rest else "", " ".join(rest[1:])


def model(value: str) -> str:
    tidy = " ".join((value or "").split())
    known = MODEL_SPELLINGS.get(tidy.lower())
    if known:
        return known
    if tidy.islower() or tidy.isupper():
        return " ".join(_model_word(word) for word in tidy.split())
    return tidy


FUELS = {
    "petrol": "petrol", "gasoline": "petrol", "unleaded": "petrol", "diesel": "diesel", "hybrid": "hybrid",
    "petrol hybrid": "hybrid", "plug-in hybrid": "plugin_hybrid", "phev": "plugin_hybrid", "electric": "electric",
    "ev": "electric", "bev": "electric", "lpg": "other",
}
# A semi-automatic (automated manual: a clutch worked for the driver) is neither of the other two,
# and sells at its own price.
TRANSMISSIONS = {
    "manual": "manual", "automatic": "automatic", "auto": "automatic", "dsg": "automatic", "cvt": "automatic",
    "semi-auto": "semi_auto", "semi auto": "semi_auto", "semi-automatic": "semi_auto", "semi automatic": "semi_auto",
    "semiautomatic": "semi_auto", "automated manual": "semi_auto", "amt": "semi_auto",
}
DRIVES = {"fwd": "fwd", "front": "fwd", "front wheel drive": "fwd", "rwd": "rwd", "rear": "rwd", "awd": "awd",
          "4wd": "awd", "4x4": "awd", "all wheel drive": "awd", "four wheel drive": "awd"}
BODIES = {
    "hatchback": "hatchback", "hatch": "hatchback", "saloon": "saloon", "sedan": "saloon", "estate": "estate",
    "wagon": "estate", "tourer": "estate", "suv": "suv", "crossover": "suv", "4x4": "suv", "coupe": "coupe",
    "coupé": "coupe", "convertible": "convertible", "cabriolet": "convertible", "mpv": "mpv", "people carrier": "mpv",
    "van": "van", "pickup": "pickup", "pick-up": "pickup",
}
CONDITIONS = {"excellent": "excellent", "very good": "good", "good": "good", "average": "fair", "fair": "fair",
              "poor": "poor", "damaged": "poor", "non-runner": "poor"}


def word(value: str, table: dict[str, str]) -> str:
    """A value from one of the tables above, or "" when the source's word is not known."""
    return table.get(" ".join((value or "").lower().split()), "")


KM_PER_MILE = 1.609344


def miles(value: float, unit: str) -> int:
    unit = (unit or "mi").strip().lower()
    if unit in ("km", "kms", "kilometres", "kilometers"):
        return round(value / KM_PER_MILE)
    if unit in ("mi", "mile", "miles", ""):
        return round(value)
    raise ValueError(f"unknown mileage unit {unit!r} (use mi or km)")
