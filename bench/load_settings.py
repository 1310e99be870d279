"""Settings of the load bench's web node (bench/load.py): production's own, ifixit.settings,
with two changes only: the URLs add the bare views the bench compares the API with
(bench/load_urls.py), and the collected static files live in the bench's var dir (a deployment
runs collectstatic into STATIC_ROOT; the checkout's staticfiles/ is left to `make run`).
Only the bench's web process runs with these; every other process uses ifixit.settings."""

from ifixit.settings import *  # the production settings, unchanged
from ifixit.settings import VAR_DIR

ROOT_URLCONF = "bench.load_urls"
STATIC_ROOT = VAR_DIR / "static"
