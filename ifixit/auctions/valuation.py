"""What a lot is worth: the advice the lot pages show and the alerts judge margin and ROI by.

The valuation is the analytics app's, which builds on auctions (its market is made of closed
lots), so auctions does not import it: analytics hands its functions in when it starts
(AnalyticsConfig.ready). Until it has (a process that never loaded analytics), a lot has no
advice, and margin and ROI minimums match nothing, as with a lot the model cannot value.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Advisor:
    lot_advice: Callable  # (lot) -> advice or None
    lot_advice_many: Callable  # (lots) -> {lot id: advice}
    model_accuracy: Callable  # () -> how the model has done lately, or None


_advisor: Advisor | None = None


def provide(advisor: Advisor) -> None:
    global _advisor
    _advisor = advisor


def lot_advice(lot):
    return _advisor.lot_advice(lot) if _advisor else None


def lot_advice_many(lots) -> dict:
    return _advisor.lot_advice_many(lots) if _advisor and lots else {}


def model_accuracy():
    return _advisor.model_accuracy() if _advisor else None
