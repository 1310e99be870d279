"""HTTP caching: API reads answer 304 to a matching ETag and are never for shared caches;
pages are kept nowhere; hashed static files are kept for a year under production's settings."""

import json
import subprocess
import sys

import pytest
from rest_framework.test import APIClient

from ifixit.accounts.services import api_token_create
from ifixit.inventory.models import Car
from ifixit.testing.factories import CarFactory
from ifixit.tests.test_settings import ROOT, STRONG_KEY

CARS = "/api/v1/cars/"


def token_client(user) -> APIClient:
    client = APIClient()
    _, key = api_token_create(user=user, name="caching test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def north_car(north):
    return CarFactory(location=north, make="Skoda", model="Octavia")


def test_it_answers_a_repeated_list_read_with_304_and_no_body(manager, north_car):
    client = token_client(manager)
    first = client.get(CARS)
    assert first.status_code == 200 and first["ETag"]
    again = client.get(CARS, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_it_answers_a_repeated_detail_read_with_304(api, north_car):
    first = api.get(f"{CARS}{north_car.pk}/")
    assert first.status_code == 200
    again = api.get(f"{CARS}{north_car.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_a_change_gives_a_new_etag_and_the_new_body(manager, north_car):
    client = token_client(manager)
    before = client.get(CARS)
    Car.objects.filter(pk=north_car.pk).update(mileage=north_car.mileage + 1000)
    after = client.get(CARS, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.json()["results"][0]["mileage"] == north_car.mileage + 1000


def test_another_users_etag_never_gets_them_a_304_for_what_they_may_not_see(manager, outsider, north_car):
    seen_by_north = token_client(manager).get(f"{CARS}?make=Skoda")
    assert seen_by_north.json()["count"] == 1
    south = token_client(outsider).get(f"{CARS}?make=Skoda", HTTP_IF_NONE_MATCH=seen_by_north["ETag"])
    assert south.status_code == 200
    assert south.json()["count"] == 0
    assert south["ETag"] != seen_by_north["ETag"]


def test_api_answers_are_private_and_vary_by_credentials(manager, north_car):
    response = token_client(manager).get(CARS)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-cache"} <= cache_control
    vary = {part.strip().lower() for part in response["Vary"].split(",")}
    assert {"authorization", "cookie"} <= vary


def test_an_api_error_is_not_kept_either(anon, db):
    response = anon.get(CARS)
    assert response.status_code == 401
    assert "private" in response["Cache-Control"]


def test_a_signed_in_page_is_stored_nowhere_and_has_no_etag(client, manager, north_car):
    client.force_login(manager)
    response = client.get(f"/cars/{north_car.pk}/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert not response.has_header("ETag")


# Under production's settings (DEBUG off, the manifest storage): collectstatic into a folder of
# the test's own, then what WhiteNoise answers for a hashed file and for a page.
PRODUCTION_STATIC = """
import json, os, sys
import django
from django.conf import settings
django.setup()
settings.STATIC_ROOT = sys.argv[1]
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
from django.templatetags.static import static
from django.test import Client
client = Client()
hashed = static("css/app.css")
answers = {}
for name, path in (("hashed", hashed), ("login", "/login/")):
    response = client.get(path, secure=True, HTTP_HOST="ifixit.example.com")
    answers[name] = {"path": path, "status": response.status_code, "cache_control": response.get("Cache-Control", "")}
print(json.dumps(answers))
"""


def test_hashed_static_files_are_kept_for_a_year_and_pages_not_at_all_in_production(tmp_path):
    env = {
        "DEBUG": "0",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "ifixit.example.com",
        "DJANGO_SETTINGS_MODULE": "ifixit.settings",
        "PATH": "/usr/bin:/bin",
        "IFIXIT_VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_STATIC, str(tmp_path / "static")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    hashed = answers["hashed"]
    assert hashed["status"] == 200 and hashed["path"] != "/static/css/app.css"  # the name carries its hash
    assert "max-age=315360000" in hashed["cache_control"] and "immutable" in hashed["cache_control"]
    assert answers["login"]["status"] == 200
    assert "no-store" in answers["login"]["cache_control"]
