"""The metrics folder: `make run` empties it once before the processes start (ifixit.run), and
a scrape drops the live gauges of this host's processes that died without saying so."""

import subprocess
import sys

from ifixit import run
from ifixit.metrics import processes


def test_make_run_empties_the_folder_of_the_last_run(tmp_path, settings):
    settings.METRICS_DIR = tmp_path / "metrics"
    settings.METRICS_DIR.mkdir()
    (settings.METRICS_DIR / "gauge_livesum_old-123.db").write_bytes(b"\0" * 16)
    run.clear_metrics()
    assert settings.METRICS_DIR.is_dir() and list(settings.METRICS_DIR.iterdir()) == []


def test_a_scrape_reaps_only_dead_processes_of_this_host(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True
    )
    files = {
        "dead": tmp_path / f"gauge_livesum_{processes.HOST}-{dead.stdout.strip()}.db",
        "alive": tmp_path / f"gauge_livesum_{processes.process_id()}.db",
        "elsewhere": tmp_path / "gauge_livesum_otherhost-1.db",
        "counter": tmp_path / f"counter_{processes.HOST}-{dead.stdout.strip()}.db",
    }
    for path in files.values():
        path.write_bytes(b"\0" * 16)
    assert processes.reap_dead() == 1
    assert {name for name, path in files.items() if path.exists()} == {"alive", "elsewhere", "counter"}
