"""Demo market history: synthetic auction and retail results over three years (with a
seasonal swing and a few outliers), plus the demo's own sales and sold lots, folded into
the rollups, so every analytics page has something meaningful to show after `make run`."""

import itertools
from dataclasses import dataclass

from django.utils import timezone

from ifixit.analytics import synthetic, warehouse
from ifixit.analytics.models import SaleFact


@dataclass
class AnalyticsSummary:
    market_facts: int
    own_facts: int
    lot_facts: int
    months: int

    def line(self) -> str:
        return (f"{self.market_facts + self.own_facts + self.lot_facts:,} sales in the market warehouse "
                f"({self.market_facts:,} market history, {self.own_facts} own, {self.lot_facts} auction lots), "
                f"rolled up over {self.months} months.")


def analytics_demo_data_create(*, seed: int = 42, facts: int = 8000) -> AnalyticsSummary:
    made = iter(synthetic.facts(count=facts, seed=seed, end=timezone.localdate()))
    market = 0
    while batch := list(itertools.islice(made, 5000)):
        SaleFact.objects.bulk_create(batch, ignore_conflicts=True, batch_size=5000)
        market += len(batch)
    synced = warehouse.facts_sync()
    months = warehouse.rollups_refresh()
    return AnalyticsSummary(market_facts=market, own_facts=synced.sales, lot_facts=synced.lots, months=months)
