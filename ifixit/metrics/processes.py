"""Which process wrote which metrics file, and what happens to a process's files when it ends.

prometheus-client's multiprocess mode names each file after the process that writes it. Its
default name is the pid, but the containers of docs/deploy/compose.yaml share one folder and
each has its own pid 1: the name here is "<host>-<pid>" so that two containers never write into
the same file. (The host name has no "_": the library splits file names at it.)

A process that ends marks its live gauges dead (at exit; a Celery pool child on
`worker_process_shutdown`, see celery_signals), so its WebSocket connections and running tasks
stop counting. A process killed outright cannot: `reap_dead()` (called at each scrape) marks
dead the processes of this host that no longer exist. Counters and histograms of dead
processes stay in the totals, as Prometheus expects of a counter; `clear()` empties the folder
and is run once by `make run` before it starts the system, never by a process of it.
"""

import atexit
import os
import re
import shutil
import socket
from pathlib import Path

from prometheus_client import multiprocess

HOST = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "host"
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live[a-z]+_(?P<host>[A-Za-z0-9.-]+)-(?P<pid>\d+)\.db$")


def process_id() -> str:
    """This process's name in the metrics folder (called on every write: a forked child
    notices it has a new pid and opens files of its own)."""
    return f"{HOST}-{os.getpid()}"


def folder() -> Path:
    return Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def mark_this_process_dead(*args, **kwargs) -> None:
    """Drop this process's live gauges (signal receivers pass arguments; none are needed)."""
    multiprocess.mark_process_dead(process_id(), str(folder()))


def mark_dead_at_exit() -> None:
    atexit.register(mark_this_process_dead)


def reap_dead() -> int:
    """Mark dead the processes of this host whose live-gauge files remain (they were killed
    before they could); how many. Another host's processes are left to that host."""
    reaped = set()
    for path in folder().glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.match(path.name)
        if not match or match["host"] != HOST or match["pid"] in reaped:
            continue
        if _pid_gone(int(match["pid"])):
            multiprocess.mark_process_dead(f"{HOST}-{match['pid']}", str(folder()))
            reaped.add(match["pid"])
    return len(reaped)


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    try:  # a zombie (killed, not yet reaped by its parent) is gone too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def clear(path: Path) -> None:
    """Empty the metrics folder before the system's processes start (`make run`)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
