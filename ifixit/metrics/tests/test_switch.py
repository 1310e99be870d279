"""METRICS_ENABLED=false (a bench's "off" side): every instrument takes its calls and does
nothing, no file is written, and /metrics is a 404. Settings are read once per process, so the
switch is tried in a process of its own."""

import subprocess
import sys

from ifixit.testing.processes import ROOT

PROGRAM = """
import os, django
django.setup()
from django.test import Client
from ifixit.metrics import instruments
instruments.http_requests.labels("v", "GET", "200").inc()
instruments.websocket_connections.labels("auctions").inc()
instruments.feed_lag.labels("s").observe(1.5)
print(instruments.http_requests is instruments.OFF, os.listdir(os.environ["METRICS_TEST_DIR"]))
print(Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code)
"""


def test_metrics_off_makes_every_instrument_a_no_op(tmp_path, settings):
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "ifixit.settings",
        "IFIXIT_VAR_DIR": str(tmp_path),
        "REDIS_URL": settings.REDIS_URL,
        "METRICS_ENABLED": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "METRICS_TEST_DIR": str(folder),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["True []", "404"]
