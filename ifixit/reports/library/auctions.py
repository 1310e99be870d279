"""Auction activity: what the buyers decided on the lots of each auction source, and how
often a bid turned into a car.

Auctions are the group's, not a location's, so the report takes no locations. A lot has
one decision, the latest (a lot watched, then bid on, then won counts as won), dated when
it was made.
"""

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from ifixit.auctions.models import Opportunity
from ifixit.inventory.selectors import ZERO
from ifixit.money import to_cents
from ifixit.reports.catalogue import INT, MONEY, PERCENT, PERIOD, Chart, Column, Result, Scope, register

Decision = Opportunity.Decision
# The order a buyer's day runs in, and how a column of each reads.
DECISIONS = {
    Decision.WATCH: "Watching",
    Decision.BID: "Bid on",
    Decision.WON: "Won",
    Decision.LOST: "Lost",
    Decision.PASS: "Passed",
}


def _buyer(row: dict) -> str:
    if row["decided_by"] is None:
        return "No buyer recorded"
    full = f"{row['decided_by__first_name']} {row['decided_by__last_name']}".strip()
    return full or row["decided_by__username"]


@register(
    key="auction_activity",
    title="Auction activity",
    description="Lots decided on in the period, by auction source and buyer: watched, bid on, won, lost and passed, "
    "the win rate of lots that ended (won out of won and lost), and what the won lots cost.",
    category="Auctions",
    accepts=(PERIOD,),
    permission="auctions.view_lot",
)
def auction_activity_report(scope: Scope) -> Result:
    grouped = (
        Opportunity.objects.filter(decided_at__date__gte=scope.start, decided_at__date__lte=scope.end)
        .order_by()
        .values(
            "lot__source__name", "decided_by", "decided_by__first_name", "decided_by__last_name", "decided_by__username"
        )
        .annotate(
            lots=Count("id"),
            **{decision.value: Count("id", filter=Q(decision=decision)) for decision in DECISIONS},
            # What the group paid for the lots it won: the purchase price of the car each became.
            bought_for=Coalesce(Sum("car__purchase_price", filter=Q(decision=Decision.WON)), ZERO),
        )
    )
    rows = []
    for row in grouped:
        won, lost = row[Decision.WON], row[Decision.LOST]
        rows.append(
            {
                "source": row["lot__source__name"],
                "buyer": _buyer(row),
                "lots": row["lots"],
                **{decision.value: row[decision] for decision in DECISIONS},
                "win_rate": Decimal(won) / (won + lost) if won + lost else None,
                "bought_for": to_cents(row["bought_for"]),  # SQLite sums come back with float noise
            }
        )
    rows.sort(key=lambda row: (row["source"].lower(), row["buyer"].lower()))
    result = Result(
        columns=[
            Column("source", "Auction"),
            Column("buyer", "Buyer"),
            Column("lots", "Lots decided", INT, total=True),
            *[Column(decision.value, label, INT, total=True) for decision, label in DECISIONS.items()],
            Column("win_rate", "Win rate", PERCENT),
            Column("bought_for", "Won lots bought for", MONEY, total=True),
        ],
        rows=rows,
    )
    totals = result.totals
    if totals and totals[Decision.WON] + totals[Decision.LOST]:
        result.extra_totals["win_rate"] = Decimal(totals[Decision.WON]) / (totals[Decision.WON] + totals[Decision.LOST])
    if rows:
        won_by_source: dict[str, int] = {}
        for row in rows:
            won_by_source[row["source"]] = won_by_source.get(row["source"], 0) + row[Decision.WON]
        result.chart = Chart(title="Lots won by auction", label_key="source", value_key="won")
        result.chart_rows = [{"source": source, "won": won} for source, won in won_by_source.items()]
    return result
