"""Auction sources, their lots and every price a lot reached, and each source's health."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuctionSource(models.Model):
    class Kind(models.TextChoices):
        WEBSOCKET = "websocket", "WebSocket stream"
        WEBHOOK = "webhook", "Webhook (pushed to us)"
        POLLING = "polling", "HTTP polling"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEBSOCKET)
    url = models.URLField(max_length=500, help_text="The source's base URL (stream, snapshot and replay live under it).")
    # Credentials: never printed, logged or sent back by the API (see __repr__ and the serializers).
    api_key = models.CharField(max_length=200, blank=True)
    webhook_secret = models.CharField(max_length=200, blank=True, help_text="HMAC key of signed webhook bodies.")
    enabled = models.BooleanField(default=True)
    paused = models.BooleanField(default=False, help_text="Paused from the integration dashboard: the feed stops consuming.")
    # What the source charges the buyer on top of the hammer price: a share of it plus a fixed fee.
    buyer_fee_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("50"))],
    )
    buyer_fee_fixed = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("150.00"), validators=[MinValueValidator(Decimal("0"))]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<AuctionSource {self.pk} {self.name!r} {self.kind}>"  # no credentials, ever

    @property
    def current_health(self) -> "FeedHealth":
        """Its health row, or (a source the feeds have not run yet) an unsaved one with the
        starting values: stopped, nothing received."""
        try:
            return self.health
        except FeedHealth.DoesNotExist:
            return FeedHealth(source=self)


class FeedHealth(models.Model):
    """What the feeds process last reported about a source (one row per source)."""

    class State(models.TextChoices):
        STOPPED = "stopped", "Stopped"
        CONNECTING = "connecting", "Connecting"
        LIVE = "live", "Live"
        RESYNCING = "resyncing", "Resyncing"
        BACKING_OFF = "backoff", "Reconnecting"
        FAILING = "failing", "Failing"
        PAUSED = "paused", "Paused"

    source = models.OneToOneField(AuctionSource, on_delete=models.CASCADE, related_name="health")
    state = models.CharField(max_length=12, choices=State.choices, default=State.STOPPED)
    last_seq = models.BigIntegerField(default=0, help_text="The last sequence number stored: the feed resumes after it.")
    last_message_at = models.DateTimeField(null=True, blank=True)
    messages_per_second = models.FloatField(default=0)
    messages = models.BigIntegerField(default=0)
    reconnects = models.PositiveIntegerField(default=0)
    gaps = models.PositiveIntegerField(default=0, help_text="Sequence gaps detected and resynced.")
    duplicates = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0, help_text="Malformed, oversized or badly signed messages, failed connections.")
    last_error = models.TextField(blank=True)
    consumer = models.CharField(max_length=200, blank=True, help_text="The feeds process holding the source's lock.")
    resync_requested = models.BooleanField(default=False, help_text="Set from the dashboard; the feed reconnects and refreshes from the source.")
    updated_at = models.DateTimeField(default=timezone.now)


class Lot(models.Model):
    class Stage(models.TextChoices):
        PREBID = "prebid", "Pre-bidding"
        LIVE = "live", "Live"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        OPEN = "", "Open"
        SOLD = "sold", "Sold"
        ON_APPROVAL = "on_approval", "On approval (reserve not met)"
        UNSOLD = "unsold", "Unsold"
        BOUGHT_NOW = "bought_now", "Bought now"

    source = models.ForeignKey(AuctionSource, on_delete=models.CASCADE, related_name="lots")
    external_id = models.CharField(max_length=100)
    lane = models.CharField(max_length=20, blank=True)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.PREBID)
    make = models.CharField(max_length=50)
    model = models.CharField(max_length=50)
    trim = models.CharField(max_length=50, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    mileage = models.PositiveIntegerField(null=True, blank=True)
    mileage_unit = models.CharField(max_length=2, default="mi")
    fuel = models.CharField(max_length=20, blank=True)
    transmission = models.CharField(max_length=20, blank=True)
    body_type = models.CharField(max_length=20, blank=True)
    colour = models.CharField(max_length=30, blank=True)
    damage = models.CharField(max_length=50, blank=True)
    condition = models.CharField(max_length=50, blank=True)
    region = models.CharField(max_length=50, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    current_bid = models.PositiveIntegerField(default=0)
    bid_count = models.PositiveIntegerField(default=0)
    buy_now = models.PositiveIntegerField(null=True, blank=True)
    has_reserve = models.BooleanField(default=False)
    reserve_met = models.BooleanField(default=False)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ends_at", "id"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="lot_once_per_source")]
        indexes = [
            models.Index(fields=["stage", "ends_at"], name="lot_stage_ending"),
            models.Index(fields=["make", "model"], name="lot_make_model"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.year or ''} {self.make} {self.model}".strip()


class PriceTick(models.Model):
    """One price a lot reached, as the source numbered it. (source, seq) is unique, so a
    duplicate or replayed message can never be stored twice."""

    source = models.ForeignKey(AuctionSource, on_delete=models.CASCADE, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="ticks")
    seq = models.BigIntegerField()
    amount = models.PositiveIntegerField()
    bid_count = models.PositiveIntegerField(default=0)
    at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["source", "seq"], name="tick_once_per_seq")]
        indexes = [models.Index(fields=["lot", "seq"], name="tick_lot_seq")]


class WebhookEvent(models.Model):
    """An event a platform pushed to us, kept until it is stored in order. (source, seq)
    is unique, so a platform's retries and replays are harmless."""

    source = models.ForeignKey(AuctionSource, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    body = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["source", "seq"], name="webhook_event_once")]


class Opportunity(models.Model):
    """The group's decision on a lot (the opportunity queue), and the car a won lot became."""

    class Decision(models.TextChoices):
        WATCH = "watch", "Watch"
        BID = "bid", "Bid"
        PASS = "pass", "Pass"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    lot = models.OneToOneField(Lot, on_delete=models.CASCADE, related_name="opportunity")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    max_bid = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    car = models.OneToOneField("inventory.Car", null=True, blank=True, on_delete=models.SET_NULL, related_name="won_lot")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(decision="won") | Q(car__isnull=True), name="opportunity_car_only_when_won"),
        ]


# --- Bidding preferences, watches and the alerts they raise (issue 11) -------------------------


class BiddingPreference(models.Model):
    """A buyer's standing search: lots that match it raise alerts in the notification centre.

    Every list criterion left empty means "any". `makes` holds makes wanted in any model;
    `car_models` holds [make, model] pairs, so "any Kia, or a Ford Focus" is makes=["Kia"],
    car_models=[["Ford", "Focus"]]. Names are stored in ifixit.vocabulary's spelling.
    """

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="bidding_preferences")
    name = models.CharField(max_length=80)
    active = models.BooleanField(default=True)
    makes = models.JSONField(default=list, blank=True)
    car_models = models.JSONField(default=list, blank=True)
    year_min = models.PositiveSmallIntegerField(null=True, blank=True)
    year_max = models.PositiveSmallIntegerField(null=True, blank=True)
    mileage_max = models.PositiveIntegerField(null=True, blank=True, help_text="Miles (lots in km are converted).")
    # The most the buyer would pay: a lot over it does not match, and crossing it either
    # way raises an alert (the alerts package says exactly when).
    price_max = models.PositiveIntegerField(null=True, blank=True)
    min_margin = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    min_roi = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True, help_text="Percent.")
    sources = models.ManyToManyField(AuctionSource, blank=True, related_name="+")
    regions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="bidding_preference_name_once_per_user"),
            models.CheckConstraint(
                condition=Q(year_min__isnull=True) | Q(year_max__isnull=True) | Q(year_min__lte=models.F("year_max")),
                name="bidding_preference_year_range",
            ),
            models.CheckConstraint(
                condition=Q(min_roi__isnull=True) | Q(min_roi__gte=-100), name="bidding_preference_roi_above_total_loss"
            ),
        ]
        indexes = [models.Index(fields=["user", "active"], name="bidding_preference_user")]

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"


class LotWatch(models.Model):
    """One user following one lot: reminded shortly before it goes live and before it ends."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="lot_watches")
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="watches")
    # Minutes before the start / the end; 0 = no reminder.
    remind_before_start = models.PositiveSmallIntegerField(default=10, validators=[MaxValueValidator(120)])
    remind_before_end = models.PositiveSmallIntegerField(default=5, validators=[MaxValueValidator(120)])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "lot"], name="lot_watch_once_per_user"),
            models.CheckConstraint(
                condition=Q(remind_before_start__lte=120) & Q(remind_before_end__lte=120), name="lot_watch_reminder_within_two_hours"
            ),
        ]


class LotAlert(models.Model):
    """What a user was alerted about, once per lot and reason: the unique constraint (not a
    read-then-write) is what keeps two workers, a retried task or a replayed batch from
    alerting twice."""

    class Reason(models.TextChoices):
        MATCH = "match", "Matching lot"
        PRICE_ABOVE = "price_above", "Passed your maximum"
        PRICE_BELOW = "price_below", "Back within your maximum"
        STARTING = "starting", "Goes live soon"
        ENDING = "ending", "Ends soon"

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="lot_alerts")
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="alerts")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    preference = models.ForeignKey(BiddingPreference, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    price = models.PositiveIntegerField(help_text="The lot's current bid when the alert was raised.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "lot", "reason"], name="lot_alert_once_per_reason")]
        indexes = [models.Index(fields=["user", "-created_at"], name="lot_alert_recent")]
