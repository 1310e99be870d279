"""Settings come from the environment; a bad value stops start-up naming the variable,
and production settings pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 20 + "-production-secret-key-for-the-settings-test-0123456789"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "ifixit.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "variable, value",
    [
        ("DATABASE_URL", "notadb://x"),
        ("REDIS_URL", "http://localhost:6379"),
        ("DEBUG", "perhaps"),
        ("EMAIL_PORT", "twenty-five"),
        ("SMS_PROVIDER_URL", "ftp://sms.example.com"),
        ("LOG_LEVEL", "LOUD"),
        ("STATIC_CDN_URL", "cdn.example.com"),
        ("CURRENCY", "pounds"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value):
    result = manage("check", **{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr


def test_production_needs_a_strong_secret_key():
    result = manage("check", SECRET_KEY="short", ALLOWED_HOSTS="ifixit.example.com")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_sms_needs_its_key():
    result = manage("check", SMS_BACKEND="twilio", SMS_PROVIDER_URL="https://sms.example.com/api")
    assert result.returncode != 0 and "SMS_API_KEY" in result.stderr


def test_production_settings_pass_the_deployment_checks_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="ifixit.example.com")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_the_embedded_default_needs_no_configuration():
    result = manage("check")
    assert result.returncode == 0, result.stderr


def test_links_in_messages_point_at_the_site_not_localhost_in_production():
    show = ("shell", "-c", "from django.conf import settings; print(settings.SITE_URL)")
    result = manage(*show, SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="ifixit.example.com,www.ifixit.example.com")
    assert result.stdout.strip().splitlines()[-1] == "https://ifixit.example.com", result.stderr
    result = manage(*show, SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="x.example.com", SITE_URL="https://cars.example.com/")
    assert result.stdout.strip().splitlines()[-1] == "https://cars.example.com"
