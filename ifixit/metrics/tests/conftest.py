"""What the metrics tests share: comparing a series before and after (the metrics folder of a
test var dir keeps earlier runs' counters, and other tests' processes write into it too, so a
test looks at what its own actions added)."""

import pytest

from ifixit.metrics.tests.scraping import scrape, value


@pytest.fixture
def metrics_delta():
    """`delta = metrics_delta(); ...; delta("name", label=...)`: how much a series grew since."""

    def start():
        before = scrape()

        def grown(name: str, **labels) -> float:
            return value(scrape(), name, **labels) - value(before, name, **labels)

        return grown

    return start
