"""API throttling: per token and per address, 429 with Retry-After, wrong tokens refused
after a few, and the same counts on every web node (they live in Redis)."""

import json
import urllib.error
import urllib.request

import pytest
from rest_framework.test import APIClient

from ifixit.accounts.services import api_token_create
from ifixit.testing.processes import process_env, start_web

URL = "/api/v1/locations/"


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def key(manager):
    return api_token_create(user=manager, name="stock script")[1]


def test_a_token_over_its_rate_gets_429_with_retry_after(settings, manager, key):
    settings.API_THROTTLE_RATES = {"token": "3/min", "address": None}
    client = bearer(key)
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(URL)
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"].lower() or "available in" in refused.json()["detail"]
    # Another token of the same person is another script, with its own count.
    assert bearer(api_token_create(user=manager, name="report script")[1]).get(URL).status_code == 200


def test_one_address_over_its_rate_gets_429_whoever_signs_the_requests(settings, manager, outsider, key):
    settings.API_THROTTLE_RATES = {"token": None, "address": "4/min"}
    other = bearer(api_token_create(user=outsider, name="theirs")[1])
    mine = bearer(key)
    assert [client.get(URL).status_code for client in (mine, other, mine, other)] == [200, 200, 200, 200]
    assert other.get(URL).status_code == 429


def test_rates_off_never_throttle(settings, key):
    settings.API_THROTTLE_RATES = {"token": None, "address": None}
    client = bearer(key)
    assert {client.get(URL).status_code for _ in range(30)} == {200}


def test_wrong_tokens_from_one_address_are_refused_before_being_looked_up(settings, key):
    settings.API_TOKEN_FAILURE_LIMIT = 3
    for guess in ("aaaa", "bbbb", "cccc"):
        assert bearer(guess).get(URL).status_code == 401
    refused = bearer("dddd").get(URL)
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 15 * 60
    assert "wrong or revoked token" in refused.json()["detail"]
    # Even a good token from that address waits: the address is the guesser's.
    assert bearer(key).get(URL).status_code == 429


def test_an_admin_lifts_the_blocks_at_once(settings, key):
    from ifixit.throttling import throttle_counts_clear

    settings.API_TOKEN_FAILURE_LIMIT = 1
    bearer("wrong").get(URL)
    assert bearer(key).get(URL).status_code == 429
    assert throttle_counts_clear() >= 1
    assert bearer(key).get(URL).status_code == 200


# --- Several web nodes ----------------------------------------------------------------------


def call(node, key: str):
    request = urllib.request.Request(node.url + URL, headers={"Authorization": f"Bearer {key}", "Host": "localhost"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        json.loads(error.read() or b"{}")
        return error.code, error.headers


@pytest.mark.django_db(transaction=True)
def test_two_web_nodes_share_the_counts(tmp_path, manager):
    key = api_token_create(user=manager, name="script")[1]
    env = process_env(API_RATE_PER_TOKEN="4/min", API_RATE_PER_ADDRESS="off", API_TOKEN_FAILURE_LIMIT="2")
    node_a, node_b = start_web("web-a", tmp_path, env), start_web("web-b", tmp_path, env)
    try:
        assert [call(node, key)[0] for node in (node_a, node_b, node_a, node_b)] == [200, 200, 200, 200]
        status, headers = call(node_a, key)
        assert status == 429 and int(headers.get("Retry-After")) > 0
        assert [call(node, "guess")[0] for node in (node_b, node_a)] == [401, 401]
        assert call(node_b, "guess")[0] == 429
    finally:
        node_a.kill()
        node_b.kill()


def test_the_schema_documents_the_429_of_every_operation(client, admin_user):
    client.force_login(admin_user)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = [
        (path, method, operation) for path, methods in schema["paths"].items() for method, operation in methods.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 90
    missing = [f"{method.upper()} {path}" for path, method, operation in operations if "429" not in operation["responses"]]
    assert not missing, missing
    assert "Retry-After" in operations[0][2]["responses"]["429"]["headers"]


@pytest.mark.parametrize("url", [URL + "?x=1", "/api/v1/cars/?location=3600914569740272271360", "/cars/?location=3600914569740272271360"])
def test_a_number_too_large_for_the_database_is_a_400_not_a_500(client, manager, url):
    client.force_login(manager)
    assert client.get(url).status_code in (200, 400)
