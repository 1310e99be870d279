"""`make run`: check the machine, set the system up with demo data, then start every process.

    python -m ifixit.run            what `make run` does after installing
    python -m ifixit.run --check    only the checks (ports, var/), for scripts

The set-up steps (migrate, roles, schedules, demo data, the simulator's auction source)
need Redis, and in the embedded profile Redis is one of the processes started last. So a
Redis is started here for the set-up on the same socket and stopped before the process
manager (honcho, Procfile) starts its own; in production REDIS_URL points at a running one.

A run that was killed leaves nothing that stops the next: a socket nothing answers on is
removed, and an embedded Redis still answering when no I-fixit port is taken is the last
run's, so it is shut down (saving its data) before this one starts. A port in use or a var/
that cannot be written ends here with one line saying what to do.

The metrics folder (PROMETHEUS_MULTIPROC_DIR, `var/metrics` by default: ifixit.metrics) is
emptied here, once, just before the processes start: they all inherit it from this process's
environment (the settings export it) and add their values to it; none of them clears it.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Refused(Exception):
    """A reason this machine cannot run I-fixit now, as one line with what to do."""


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise Refused(f"{name}={raw!r} is not a port number: give one between 1 and 65535.")
    return int(raw)


def check_port_free(host: str, port: int, variable: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise Refused(
                f"Port {port} on {host} is in use (another `make run`, or another program): stop it, "
                f"or choose another port, e.g. `{variable}={port + 1} make run`."
            ) from None


def check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        trial = folder / ".write-check"
        trial.write_text("ok")
        trial.unlink()
    except OSError as exc:
        raise Refused(
            f"{folder} cannot be written ({exc.strerror or exc}): make it writable for this user, "
            f"or point IFIXIT_VAR_DIR at a folder that is."
        ) from None


def preflight() -> tuple[int, int]:
    from django.conf import settings

    check_writable(Path(settings.VAR_DIR))
    stop_leftover_processes(Path(settings.VAR_DIR))
    if settings.MEDIA_ROOT:
        check_writable(Path(settings.MEDIA_ROOT))
    host = os.environ.get("IFIXIT_HOST") or "127.0.0.1"
    web_port = _port("IFIXIT_PORT", 8000)
    simulator_port = _port("IFIXIT_SIMULATOR_PORT", 8765)
    if web_port == simulator_port:
        raise Refused(f"IFIXIT_PORT and IFIXIT_SIMULATOR_PORT are both {web_port}: give them different ports.")
    check_port_free(host, web_port, "IFIXIT_PORT")
    check_port_free("127.0.0.1", simulator_port, "IFIXIT_SIMULATOR_PORT")
    return web_port, simulator_port


# What each Procfile process has in its command line.
RUN_PROCESS_MARKERS = (
    "ifixit.asgi",
    "celery -A ifixit",
    "auction_simulator",
    "run_feeds",
    "outbox_relay",
    "ifixit.embedded_redis",
    "redis.sock",
)


def _processes_of_this_checkout(var_dir: Path) -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process working in this checkout on the
    same var/ (the test suite's own workers use var/test and are never touched)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
            if cwd != ROOT and ROOT not in cwd.parents:  # redis-server works in var/
                continue
            environ = dict(
                item.split("=", 1)
                for item in (entry / "environ").read_text(errors="replace").split("\0")
                if "=" in item
            )
            if Path(environ.get("IFIXIT_VAR_DIR") or ROOT / "var").resolve() != var_dir:
                continue
            cmdline = (entry / "cmdline").read_text(errors="replace").replace("\0", " ").strip()
            state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            if state == "Z":
                continue  # already dead, waiting for its parent to read its exit
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
        found[int(entry.name)] = (int(ppid), cmdline)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def stop_leftover_processes(var_dir: Path) -> None:
    """Processes of an earlier run whose process manager was killed (kill -9, a closed
    terminal): they hold its ports and its Redis. A run still managed is left alone."""
    if not Path("/proc/self/cwd").exists():
        return  # not Linux: the port check will say what is in the way
    processes = _processes_of_this_checkout(var_dir)
    managers = [pid for pid, (_, cmd) in processes.items() if "honcho start" in cmd]
    if managers:
        raise Refused(
            f"`make run` is already running in this checkout (process {managers[0]}): use it, or stop it "
            f"with Ctrl-C in its terminal (or `kill {managers[0]}`) and start again."
        )
    leftovers = [pid for pid, (_, cmd) in processes.items() if any(marker in cmd for marker in RUN_PROCESS_MARKERS)]
    if not leftovers:
        return
    print(
        f"Stopping {len(leftovers)} processes an earlier run left behind: {', '.join(map(str, leftovers))}", flush=True
    )
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in leftovers:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in leftovers):
            time.sleep(0.2)
        leftovers = [pid for pid in leftovers if _alive(pid)]
        if not leftovers:
            return


def stop_leftover_redis(socket_path: Path) -> None:
    """The last run's embedded Redis, if it outlived its run (its process manager was
    killed). Our ports are free, so no run of ours is using it."""
    import redis

    from ifixit import embedded_redis

    if not embedded_redis.is_up(socket_path):
        return
    print(f"Stopping the embedded Redis a previous run left on {socket_path}", flush=True)
    try:
        redis.Redis(unix_socket_path=str(socket_path), socket_timeout=5).shutdown(save=True)
    except redis.ConnectionError:
        pass  # it closes the connection as it exits: that is the answer
    except redis.RedisError as exc:
        raise Refused(f"A Redis answers on {socket_path} and would not stop ({exc}): stop it by hand.") from None


def set_up(simulator_port: int) -> None:
    from django.conf import settings
    from django.core.management import call_command

    from ifixit import embedded_redis

    setup_redis = None
    if settings.REDIS_IS_EMBEDDED:
        socket_path = Path(settings.EMBEDDED_REDIS_SOCKET)
        stop_leftover_redis(socket_path)
        setup_redis = embedded_redis.ensure_running(socket_path)
    try:
        call_command("migrate", interactive=False, verbosity=1)
        call_command("sync_roles")
        call_command("sync_schedules")
        call_command("seed_demo")
        call_command("demo_auction_source", url=f"http://127.0.0.1:{simulator_port}")
    finally:
        if setup_redis is not None:
            setup_redis.send_signal(signal.SIGTERM)  # redis-server saves and exits on TERM
            try:
                setup_redis.wait(timeout=10)
            except subprocess.TimeoutExpired:
                setup_redis.kill()


def clear_metrics() -> None:
    """A fresh start for the metrics of this run: the last run's processes are gone (their
    files would count their open connections for ever), and its counters are its own."""
    from django.conf import settings

    from ifixit.metrics import processes

    if settings.METRICS_ENABLED:
        processes.clear(Path(settings.METRICS_DIR))


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")
    sys.path.insert(0, str(ROOT))
    import django

    try:
        check_writable(Path(os.environ.get("IFIXIT_VAR_DIR") or ROOT / "var"))  # the settings create it
        django.setup()
        web_port, simulator_port = preflight()
        if "--check" in argv:
            print("Ports free and var/ writable.")
            return 0
        set_up(simulator_port)
    except Refused as refused:
        print(f"make run: {refused}", file=sys.stderr)
        return 2
    clear_metrics()
    honcho = shutil.which("honcho", path=str(Path(sys.executable).parent)) or "honcho"
    print(
        f"\n  I-fixit is starting on http://localhost:{web_port}  (sign in as admin / demo-pass-2026; "
        f"Ctrl-C stops everything)\n",
        flush=True,
    )
    os.chdir(ROOT)
    os.execv(honcho, [honcho, "start", "-f", str(ROOT / "Procfile")])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
