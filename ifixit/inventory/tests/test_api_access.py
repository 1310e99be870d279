"""REST API v1 of inventory, signing in: bearer tokens (valid, invalid, revoked, an inactive
user) and a signed-in session; the Swagger UI and the schema, which validates without
warnings."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from ifixit.accounts.models import ApiToken
from ifixit.accounts.services import api_token_create
from ifixit.inventory.tests.conftest import url

# --- tokens and sessions ---------------------------------------------------------------------


def test_a_bearer_token_authenticates(manager, car):
    token, key = api_token_create(user=manager, name="script")
    client = APIClient()
    response = client.get(url("api_car_list"), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [car.id]
    token.refresh_from_db()
    assert token.last_used_at is not None

    response = client.post(
        url("api_car_phase", car.id), {"to_phase": "ready"}, format="json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 200


@pytest.mark.parametrize("header", ["Bearer ifx_not-a-real-key", "Bearer", "Bearer two words"])
def test_an_invalid_token_is_refused(manager, car, header, assert_unauthenticated):
    response = APIClient().get(url("api_car_list"), HTTP_AUTHORIZATION=header)
    assert_unauthenticated(response)


def test_a_revoked_token_or_inactive_user_is_refused(manager, car, assert_unauthenticated):
    token, key = api_token_create(user=manager, name="script")
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert_unauthenticated(APIClient().get(url("api_car_list"), HTTP_AUTHORIZATION=f"Bearer {key}"))
    ApiToken.objects.filter(pk=token.pk).delete()
    assert_unauthenticated(APIClient().get(url("api_car_list"), HTTP_AUTHORIZATION=f"Bearer {key}"))


def test_a_signed_in_session_can_use_the_api(manager, car):
    client = APIClient()
    client.force_login(manager)
    assert client.get(url("api_car_detail", car.id)).json()["id"] == car.id


# --- schema and docs -------------------------------------------------------------------------


def test_the_swagger_ui_and_schema_render_for_a_signed_in_user(client, manager):
    client.force_login(manager)
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content and b"cdn" not in docs.content.lower()
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/cars/", "/api/v1/cars/{car_id}/photos/", "/api/v1/locations/"} <= set(paths)


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/cars/{car_id}/sale/" in (tmp_path / "schema.yml").read_text()
