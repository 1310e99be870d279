"""The web node's server: gunicorn's settings (`gunicorn -c python:ifixit.serving`) and the
uvicorn worker it runs, so that one node uses every core of its machine.

Under ASGI, Django runs sync middleware and views on one thread per process (asgiref's
thread-sensitive executor), so one process does one request's Django work at a time and 50
staff queue behind each other (bench/README.md, "Load"). Gunicorn starts WEB_CONCURRENCY such
processes on one socket, restarts one that dies or hangs, and stops them all on one signal;
each is a uvicorn server (HTTP and WebSockets; channels_redis fans messages out across them).

WEB_CONCURRENCY defaults to the cores plus one, at least two. A request here is CPU, not
waiting (SQL is 2-7% of the profiled time), so about one process per core fills the cores;
the one more takes up the database and Redis waits and a slow request without a process
more per core of memory. 2 x cores + 1 is the rule for sync WSGI workers, which mostly wait.
"""

import os
from typing import ClassVar

from uvicorn_worker import UvicornWorker

# Seconds a stopping process gives requests in flight (and open WebSockets) before it closes them.
GRACEFUL_SECONDS = 20


def default_workers() -> int:
    return max(2, (os.cpu_count() or 1) + 1)


def workers_from_environment() -> int:
    raw = os.environ.get("WEB_CONCURRENCY", "")
    if raw == "":
        return default_workers()
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"WEB_CONCURRENCY must be a whole number of processes, 1 or more; got {raw!r}.")
    return int(raw)


class Worker(UvicornWorker):
    """Uvicorn in a gunicorn process, as `uvicorn ifixit.asgi:application --lifespan off` ran
    it: Channels' router has no lifespan protocol, and nothing here needs start-up hooks."""

    CONFIG_KWARGS: ClassVar[dict] = {
        **UvicornWorker.CONFIG_KWARGS,
        "lifespan": "off",
        "timeout_graceful_shutdown": GRACEFUL_SECONDS,
    }


# --- gunicorn's settings (names gunicorn reads from this module) ---------------------------------
bind = f"{os.environ.get('IFIXIT_HOST') or '127.0.0.1'}:{os.environ.get('IFIXIT_PORT') or '8000'}"
workers = workers_from_environment()
worker_class = "ifixit.serving.Worker"
# A process whose event loop has not reported to gunicorn for this long is killed and replaced
# (a sync view runs beside the loop, in its thread, so a slow view alone does not trip it).
timeout = 60
graceful_timeout = GRACEFUL_SECONDS + 5
# Longer than nginx's keepalive to the upstream, so that nginx closes idle connections first.
keepalive = 75
# Off: several nodes on one machine (ifixit-web@8001, @8002) would share its one default path,
# and nothing here uses gunicorn's control tool.
control_socket_disable = True
# A line per request and the errors on stderr, as uvicorn alone wrote them.
accesslog = "-"
errorlog = "-"
