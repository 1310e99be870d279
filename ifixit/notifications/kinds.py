"""Every kind of notification the system sends, in one registry.

A feature that notifies people declares its kinds here (key, label, who it is for
and how it reaches them unless they choose otherwise); the preferences page lists
them all. The database stores the key only, so adding a kind needs no migration.
"""

from dataclasses import dataclass

IN_APP = "in_app"
EMAIL = "email"
SMS = "sms"
CHANNELS = (IN_APP, EMAIL, SMS)
# Channels that leave the system and so get a Delivery row each.
OUTBOUND_CHANNELS = (EMAIL, SMS)

IMMEDIATE = "immediate"
DIGEST = "digest"


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    description: str
    email: bool = False
    sms: bool = False
    timing: str = IMMEDIATE


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in [
        Kind(
            "repair_at_risk",
            "Repair at risk",
            "A car in your workshop has been in fixing long enough to be at risk of running late.",
            email=True,
            timing=DIGEST,
        ),
        Kind(
            "repair_overdue",
            "Repair overdue",
            "A car has been in fixing past your location's overdue threshold, and weekly while it stays there.",
            email=True,
        ),
        Kind(
            "transfer",
            "Transfers",
            "A transfer of a car to or from your location was requested, decided or dispatched.",
        ),
        Kind(
            "follow_up_due",
            "Follow-ups due",
            "A customer follow-up assigned to you is due.",
            email=True,
        ),
        Kind(
            "low_satisfaction",
            "Low satisfaction scores",
            "A customer of your location answered the satisfaction survey with a low score.",
            email=True,
        ),
        Kind(
            "customer_reply",
            "Customer replies",
            "A customer replied by SMS to a message you sent them.",
        ),
        Kind(
            "finance_update",
            "Finance decisions",
            "A lender's decision on a finance application of yours was recorded, or it waits longer than the lender usually takes.",
            email=True,
        ),
        Kind(
            "report_ready",
            "Reports ready",
            "A report you asked to be generated is ready to download.",
        ),
        Kind(
            "report_failed",
            "Report failures",
            "A scheduled report of yours could not be made or sent, after its retries.",
            email=True,
        ),
        Kind(
            "lot_match",
            "Matching lots",
            "A lot matching one of your bidding preferences appeared, or its price came back within your maximum.",
        ),
        Kind(
            "lot_price",
            "Lot past your maximum",
            "The bidding on a lot you were alerted about went past the maximum price of your preference.",
        ),
        Kind(
            "lot_reminder",
            "Watched lots",
            "A lot you watch goes live or ends in a few minutes.",
            email=True,
        ),
        Kind(
            "operations",
            "Operations alerts (admins)",
            "A feed down, work piling up, a task failing again and again or a schedule that missed its run; then the all-clear.",
            email=True,
        ),
        Kind(
            "system",
            "System messages",
            "Announcements and results of jobs you started (exports, reports).",
        ),
    ]
}


def get(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise ValueError(f"unknown notification kind {key!r}; declare it in notifications/kinds.py") from None
