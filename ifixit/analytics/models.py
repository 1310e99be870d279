"""The historical warehouse: one SaleFact per car sold anywhere (an auction result from
a feed, a retail or auction record from an imported file, or one of the group's own
sales), in one shape, normalised, so trends, seasonality and comparisons read one table.

A fact is identified by its source and its reference there ((source, source_ref) is
unique), so importing a file twice or replaying a feed never counts a sale twice.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# The source name of the group's own sales in the warehouse: reserved, never imported.
OWN_SOURCE = "I-fixit"

# Bands a segment is cut by: the car's age at sale, and its mileage.
AGE_BANDS = [(0, 1, "0-1"), (2, 3, "2-3"), (4, 6, "4-6"), (7, 10, "7-10"), (11, 200, "11+")]
MILEAGE_BANDS = [(0, 19_999, "0-20k"), (20_000, 49_999, "20-50k"), (50_000, 79_999, "50-80k"), (80_000, 119_999, "80-120k"), (120_000, 10**7, "120k+")]


def age_band(age: int | None) -> str:
    if age is None:
        return ""
    return next((label for low, high, label in AGE_BANDS if low <= age <= high), "11+" if age > 0 else "0-1")


def mileage_band(mileage: int | None) -> str:
    if mileage is None:
        return ""
    return next((label for low, high, label in MILEAGE_BANDS if low <= mileage <= high), "")


class SaleFact(models.Model):
    class Kind(models.TextChoices):
        AUCTION = "auction", "Auction result"
        RETAIL = "retail", "Retail sale"
        OWN = "own", "Our sale"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Where the fact comes from: an auction source's name, an imported file's source column,
    # or "I-fixit" for our own sales; with source_ref it identifies the fact.
    source = models.CharField(max_length=100)
    source_ref = models.CharField(max_length=120)
    make = models.CharField(max_length=50)
    model = models.CharField(max_length=50)
    trim = models.CharField(max_length=80, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    mileage = models.PositiveIntegerField(null=True, blank=True)  # miles
    price = models.DecimalField(max_digits=12, decimal_places=2)  # in settings.CURRENCY
    # Null for a record without a date: kept for valuation, left out of time trends.
    sale_date = models.DateField(null=True, blank=True)
    condition = models.CharField(max_length=10, blank=True)
    fuel = models.CharField(max_length=16, blank=True)
    transmission = models.CharField(max_length=10, blank=True)
    drive = models.CharField(max_length=4, blank=True)
    body_type = models.CharField(max_length=12, blank=True)
    colour = models.CharField(max_length=30, blank=True)
    region = models.CharField(max_length=50, blank=True)
    days_to_sell = models.PositiveIntegerField(null=True, blank=True)  # own sales: purchase to sale
    age_band = models.CharField(max_length=6, blank=True)
    mileage_band = models.CharField(max_length=8, blank=True)
    batch = models.ForeignKey("ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="facts")
    created_at = models.DateTimeField(default=timezone.now)
    # False until the rollups count the fact. A flag on the row, not an id checkpoint: on
    # PostgreSQL ids are handed out before commit, so a fact committed late can carry an id
    # below one already rolled up. Whoever writes a fact (import, feed sync, a raw INSERT)
    # leaves it False by default, in the same transaction as the fact itself.
    rolled_up = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "source_ref"], name="fact_once_per_source_ref"),
            models.CheckConstraint(condition=Q(price__gt=0), name="fact_price_positive"),
        ]
        indexes = [
            models.Index(fields=["make", "model", "sale_date"], name="fact_make_model_date"),
            models.Index(fields=["sale_date"], name="fact_date"),
            models.Index(fields=["source", "sale_date"], name="fact_source_date"),
            models.Index(fields=["body_type", "sale_date"], name="fact_body_date"),
            # The facts still to roll up: a handful among millions, found without a scan.
            models.Index(fields=["sale_date"], condition=Q(rolled_up=False), name="fact_to_roll_up"),
        ]

    def __str__(self) -> str:
        return f"{self.year or ''} {self.make} {self.model} £{self.price} ({self.source})".strip()


def import_file_path(instance: "ImportBatch", filename: str) -> str:
    """A generated name; the extension (csv or xlsx) is the one the service chose from the bytes."""
    extension = "xlsx" if filename.lower().endswith(".xlsx") else "csv"
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class ImportBatch(models.Model):
    """One import of a file: its mapping, its progress, and every row it could not read."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        REFUSED = "refused", "Refused (bad rows, nothing imported)"
        FAILED = "failed", "Failed"

    file = models.FileField(upload_to=import_file_path)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    # {"make": "Manufacturer", "price": "Hammer price", ..., "mileage_unit": "mi", "currency": "GBP", "source": "BCA"}
    mapping = models.JSONField(default=dict)
    all_or_nothing = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)  # for the progress bar
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)  # already in the warehouse
    bad_rows = models.PositiveIntegerField(default=0)
    # [{"row": 17, "column": "Sale date", "reason": "…"}], the first 1,000
    errors = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("import_sales", "Can import historical sale data")]

    @property
    def progress(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class Checkpoint(models.Model):
    """Where an incremental job stopped, so the next run resumes there: "facts:lots" keeps
    the newest update time of the lots it took in; "rollups" counts its refreshes in
    last_id (the warehouse version cached answers are keyed on); "rollups:dirty" lists the
    months whose facts were withdrawn."""

    name = models.CharField(max_length=60, unique=True)
    last_id = models.BigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    state = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)


# The slices kept ready besides the full segments: the market as a whole and the cuts
# people ask for most. A question on exactly these fields reads a handful of rows per
# period; any other combination sums the full segments' rows.
LEVELS: dict[str, tuple[str, ...]] = {
    "market": (),
    "make": ("make",),
    "make+model": ("make", "model"),
    "body_type": ("body_type",),
    "source": ("source",),
    "region": ("region",),
    "age_band": ("age_band",),
    "mileage_band": ("mileage_band",),
    "make+source": ("make", "source"),
    "make+model+source": ("make", "model", "source"),
    "make+model+body_type": ("make", "model", "body_type"),
}
FULL = "segment"
ANY = "*"  # the value of a field a level does not cut by


class Rollup(models.Model):
    """The facts of one slice of the market in one day, week or month: how many, their
    prices as a mergeable histogram (stats.BUCKET_EDGES, stored as little-endian uint32),
    and days to sell where known. Any segment a user asks for is a sum of these rows, so
    trends never read the facts themselves."""

    class Grain(models.TextChoices):
        DAY = "day", "Day"
        WEEK = "week", "Week"
        MONTH = "month", "Month"

    grain = models.CharField(max_length=5, choices=Grain.choices)
    level = models.CharField(max_length=24, default=FULL)  # a key of LEVELS, or FULL
    period_start = models.DateField()
    make = models.CharField(max_length=50)
    model = models.CharField(max_length=50)
    body_type = models.CharField(max_length=12, blank=True)
    age_band = models.CharField(max_length=6, blank=True)
    mileage_band = models.CharField(max_length=8, blank=True)
    source = models.CharField(max_length=100)
    region = models.CharField(max_length=50, blank=True)
    count = models.PositiveIntegerField()
    price_sum = models.DecimalField(max_digits=16, decimal_places=2)
    histogram = models.BinaryField()
    days_count = models.PositiveIntegerField(default=0)
    days_sum = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "level", "period_start", "make", "model", "body_type", "age_band", "mileage_band", "source", "region"],
                name="rollup_once_per_segment_and_period",
            ),
        ]
        indexes = [
            models.Index(fields=["grain", "level", "make", "model", "period_start"], name="rollup_make_model"),
            models.Index(fields=["grain", "level", "period_start"], name="rollup_period"),
        ]


class ValueModel(models.Model):
    """One trained version of the value model: what it learned from, how it did on data it
    never saw, and whether it replaced the one before. The fitted estimators are kept in the
    row itself (a joblib dump), so every web node and worker loads the same model without a
    shared disk."""

    class Status(models.TextChoices):
        PROMOTED = "promoted", "In use"
        RETIRED = "retired", "Replaced"
        REJECTED = "rejected", "Not promoted (worse than the model in use)"
        EVALUATED = "evaluated", "Evaluated only"

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    trained_at = models.DateTimeField(default=timezone.now)
    training_rows = models.PositiveIntegerField()
    held_out_rows = models.PositiveIntegerField()
    features = models.JSONField(default=list)
    # On the held-out rows: {"mae", "mape", "r2", "coverage", "interval"}; the baseline's beside it.
    metrics = models.JSONField(default=dict)
    baseline_metrics = models.JSONField(default=dict)
    # The model in use it was judged against, and what was decided and why.
    compared_with = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision = models.CharField(max_length=300, blank=True)
    duration_seconds = models.FloatField(default=0)
    triggered_by = models.CharField(max_length=100, blank=True)  # "schedule", "command", a username
    promoted_at = models.DateTimeField(null=True, blank=True)
    artifact = models.BinaryField(editable=False)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="promoted"), name="one_value_model_in_use"),
        ]

    def __str__(self) -> str:
        return f"value model v{self.version} ({self.get_status_display()})"


class Valuation(models.Model):
    """What the model in use predicted for a car when the group bought it, kept so the
    self-audit can set it against what the car really sold for."""

    car = models.OneToOneField("inventory.Car", on_delete=models.CASCADE, related_name="valuation")
    model = models.ForeignKey(ValueModel, null=True, on_delete=models.SET_NULL, related_name="valuations")
    model_version = models.PositiveIntegerField()
    predicted = models.DecimalField(max_digits=12, decimal_places=2)
    low = models.DecimalField(max_digits=12, decimal_places=2)
    high = models.DecimalField(max_digits=12, decimal_places=2)
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["made_at"], name="valuation_made_at")]
