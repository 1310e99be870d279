"""Start the system's real processes (web, worker, beat, the outbox relay) for tests, against
the test database and the suite's Redis (or a Redis of the test's own, to kill), and stop them
for sure afterwards."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_database_url() -> str:
    """A DATABASE_URL naming the database this test run uses (pytest-django's test DB)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="ifixit.settings",
        DATABASE_URL=test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        IFIXIT_VAR_DIR=str(settings.VAR_DIR),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_path: Path
    port: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self, sig=signal.SIGKILL) -> None:
        """Signal the whole process group: a worker's pool children die with it,
        as they would if its machine went away."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


def start(name: str, args: list[str], log_dir: Path, env: dict[str, str], port: int | None = None) -> Proc:
    log_path = log_dir / f"{name}.log"
    handle = open(log_path, "wb")  # noqa: SIM115 (the process writes to it for as long as it lives)
    popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    return Proc(name=name, popen=popen, log_path=log_path, port=port)


def start_worker(name: str, log_dir: Path, env: dict[str, str], concurrency: int = 1, include: str = "") -> Proc:
    """A Celery worker; `include` names a module of extra tasks for it (the tests' own)."""
    args = [
        str(BIN / "celery"),
        "-A",
        "ifixit",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--hostname",
        f"{name}@%h",
        "--without-mingle",
        "--without-gossip",
    ]
    if include:
        args += ["--include", include]
    proc = start(name, args, log_dir, env)
    wait_for(lambda: "ready." in proc.log() or proc.popen.poll() is not None, 60, f"{name} to start")
    assert proc.popen.poll() is None, f"{name} exited:\n{proc.log()}"
    return proc


def start_beat(log_dir: Path, env: dict[str, str]) -> Proc:
    args = [
        str(BIN / "celery"),
        "-A",
        "ifixit",
        "beat",
        "--loglevel",
        "INFO",
        "--schedule",
        str(log_dir / "beat-state"),
    ]
    return start("beat", args, log_dir, env)


def start_relay(log_dir: Path, env: dict[str, str], interval: float = 0.2) -> Proc:
    args = [sys.executable, str(ROOT / "manage.py"), "outbox_relay", "--interval", str(interval)]
    proc = start("relay", args, log_dir, env)
    wait_for(lambda: "outbox relay:" in proc.log() or proc.popen.poll() is not None, 60, "the relay to start")
    assert proc.popen.poll() is None, f"the relay exited:\n{proc.log()}"
    return proc


def start_redis(name: str, data_dir: Path, log_dir: Path) -> Proc:
    """An embedded Redis of the test's own (append-only file and all, as in production's
    embedded default) on `data_dir`/redis.sock: a test may SIGKILL it and start it again on the
    same `data_dir`, which it reloads from its files. Keep `data_dir` short: a unix socket's
    path has at most 107 characters."""
    from ifixit import embedded_redis

    socket_path = data_dir / "redis.sock"
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)  # left by a Redis that was killed
    proc = start(name, embedded_redis.command(socket_path), log_dir, dict(os.environ))
    wait_for(lambda: embedded_redis.is_up(socket_path) or proc.popen.poll() is not None, 30, f"{name} to answer")
    assert proc.popen.poll() is None, f"{name} exited:\n{proc.log()}"
    proc.extra["socket"] = socket_path
    return proc


def run_django(code: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python process with Django set up (a writer of the test's own,
    using the processes' settings, e.g. their Redis, rather than the test process's)."""
    script = f"import django\ndjango.setup()\n{code}"
    return subprocess.run(
        [sys.executable, "-c", script], check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def start_web(name: str, log_dir: Path, env: dict[str, str]) -> Proc:
    port = free_port()
    args = [
        str(BIN / "uvicorn"),
        "ifixit.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--lifespan",
        "off",
    ]
    proc = start(name, args, log_dir, env, port=port)
    wait_for(lambda: _answers(port) or proc.popen.poll() is not None, 60, f"{name} to listen")
    assert proc.popen.poll() is None, f"{name} exited:\n{proc.log()}"
    return proc


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
