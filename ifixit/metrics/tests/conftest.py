"""What the metrics tests share: reading /metrics as Prometheus would, and comparing a series
before and after (the metrics folder of a test var dir keeps earlier runs' counters, and other
tests' processes write into it too, so a test looks at what its own actions added)."""

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

LOOPBACK = "127.0.0.1"


def scrape(client: Client | None = None, **headers) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics as {(name, labels): value}, asked from loopback."""
    response = (client or Client()).get("/metrics", REMOTE_ADDR=LOOPBACK, **headers)
    assert response.status_code == 200, response.status_code
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_delta():
    """`delta = metrics_delta(); ...; delta("name", label=...)`: how much a series grew since."""

    def start():
        before = scrape()

        def grown(name: str, **labels) -> float:
            return value(scrape(), name, **labels) - value(before, name, **labels)

        return grown

    return start
