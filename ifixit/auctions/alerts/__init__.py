"""Lot alerts: matching lots against buyers' bidding preferences, and reminders of watched lots.

Where matching runs. `feed_events_store` hands the lots of each stored batch to
`feed_batch_stored`, which, once the batch has committed, queues one Celery task
(`tasks.match_lot_changes`) if the batch can raise an alert: it brought a lot that is
new to us, or a bid crossed one of the price maxima of the active preferences (their
sorted list is kept in the process, so a bid-only batch costs a bisect, not a task).
The feeds process therefore never matches, never loads advice and never writes an
alert: its one extra cost is a Redis push for the few batches that matter, and a slow
or failing match cannot hold up a feed. The webhook path stores through the same
function, so both kinds of feed are alerted alike; Celery gives the retries.

Matching (`decide`) is pure: a compiled `PreferenceIndex` (numpy columns, one entry per
active preference, with inverted lists per make, make+model, source and region) against
one lot's `LotFacts`. Each worker keeps the index in memory and rebuilds it when the
preferences' version in the cache changes (bumped after every preference write commits).

What raises which alert, for one preference and one open lot whose car, year, mileage,
source and region match it:

- match: the lot appeared (new to us, or its car was unknown until now) with its bid at
  or under the preference's maximum price, and its expected margin and ROI meet the
  preference's minimums (a lot without advice meets no minimum). A new preference does
  not alert about lots already open: its page counts them instead.
- price_above (crossing up): a bid took the price from at or under the maximum to over
  it. Sent only to users already told the lot was within their maximum (match or
  price_below): nobody is told "too dear" about a lot they never heard of.
- price_below (crossing down): the price went from over the maximum to at or under it
  (a retracted bid, a corrected price), margin and ROI minimums met.
- starting / ending: a watched lot goes live / ends within the watch's minutes.

Each (user, lot, reason) is alerted at most once, ever: LotAlert's unique constraint and
the notification's dedupe key both say so, across workers, retries and replays; so a
price that crosses back and forth is told once each way. Prices are compared only for
lots in the group's currency: a preference with a maximum does not match a lot priced
in another one.

The package, by what each part does: `matching` (the pure matcher and the one spelling of
what is compared), `index` (the specs and facts read from the database, and the compiled
index each process keeps, with the preferences' version in the cache), `lot_changes` (the
feed's hand-off and the task's matching of changed lots), `reminders` (watched lots) and
`sending` (who may be alerted; the alert row and its notification, and their wording).
"""

from ifixit.auctions.alerts.index import (
    active_specs,
    current_index,
    lot_facts,
    lots_advice,
    preferences_changed,
    price_thresholds,
    spec_of,
    specs_of,
)
from ifixit.auctions.alerts.lot_changes import LotChange, feed_batch_stored, lot_changes_alert, worth_matching
from ifixit.auctions.alerts.matching import (
    Candidate,
    LotFacts,
    PreferenceIndex,
    PreferenceSpec,
    crosses,
    decide,
    make_key,
    miles,
    model_key,
    region_key,
)
from ifixit.auctions.alerts.reminders import watch_reminders_send
from ifixit.auctions.alerts.sending import users_who_may_see_auctions

__all__ = [
    "Candidate",
    "LotChange",
    "LotFacts",
    "PreferenceIndex",
    "PreferenceSpec",
    "active_specs",
    "crosses",
    "current_index",
    "decide",
    "feed_batch_stored",
    "lot_changes_alert",
    "lot_facts",
    "lots_advice",
    "make_key",
    "miles",
    "model_key",
    "preferences_changed",
    "price_thresholds",
    "region_key",
    "spec_of",
    "specs_of",
    "users_who_may_see_auctions",
    "watch_reminders_send",
    "worth_matching",
]
