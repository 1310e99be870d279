"""Reading /metrics as Prometheus would: every sample as {(name, labels): value}."""

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
