#!/usr/bin/env bash
# The newcomer's path, from a clean clone: `make run` exactly as the README says, in the
# background; within NEWCOMER_LIMIT seconds (installs included) /healthz?processes=1 is 200;
# then the browser checks (.ci/newcomer/test_newcomer.py); then Ctrl-C (SIGINT to make's
# process group) and nothing of the run may be left: no process whose working directory is
# this checkout, nothing listening on the run's ports, within 10 s.
# Prints pytest's closing line, then one more check line of its own; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
LIMIT=${NEWCOMER_LIMIT:-300}
PORT=${IFIXIT_PORT:-8000}
SIM_PORT=${IFIXIT_SIMULATOR_PORT:-8765}
LOG=${NEWCOMER_LOG:-$ROOT/var-newcomer-run.log}
started=$SECONDS

run_processes() {  # every process working in this checkout or under it (the run's children keep its cwd)
  local pid cmd
  for pid in /proc/[0-9]*; do
    case "$(readlink "$pid/cwd" 2>/dev/null)" in "$ROOT" | "$ROOT"/*) ;; *) continue ;; esac  # redis-server works in var/
    cmd=$(tr '\0' ' ' <"$pid/cmdline" 2>/dev/null | cut -c1-160)
    # The run's programs (this script and the shell that started it work here too).
    grep -qE '(\.venv/|redis-server|make run|honcho)' <<<"$cmd" || continue
    echo "${pid#/proc/} $cmd"
  done
}
listening() { ss -Hltn "( sport = :$PORT or sport = :$SIM_PORT )" 2>/dev/null | grep -c LISTEN; }

echo "== newcomer: make run (log: $LOG)"
setsid make run >"$LOG" 2>&1 &
RUN_PID=$!   # setsid makes it the leader of its own process group: its pid is the group id

healthy=0
while [ $((SECONDS - started)) -lt "$LIMIT" ]; do
  if ! kill -0 "$RUN_PID" 2>/dev/null; then
    echo "== newcomer: make run exited before it served; its last lines:"; tail -n 30 "$LOG"; break
  fi
  body=$(curl -fsS --max-time 20 "http://127.0.0.1:$PORT/healthz?processes=1" 2>/dev/null) && { healthy=1; break; }
  sleep 3
done
took=$((SECONDS - started))
rc=0
if [ "$healthy" = 1 ]; then
  echo "== newcomer: /healthz?processes=1 answered 200 after ${took}s: $body"
  NEWCOMER_URL="http://127.0.0.1:$PORT" .venv/bin/pytest -c .ci/newcomer/pytest.ini --rootdir .ci/newcomer .ci/newcomer -v || rc=$?
else
  echo "== newcomer: no healthy /healthz?processes=1 within ${LIMIT}s; last answer: $(curl -sS --max-time 20 "http://127.0.0.1:$PORT/healthz?processes=1" 2>&1)"
  tail -n 40 "$LOG"
  rc=1
fi

echo "== newcomer: Ctrl-C (SIGINT to the process group of make run)"
kill -INT -- "-$RUN_PID" 2>/dev/null
stop_started=$SECONDS
while [ $((SECONDS - stop_started)) -lt 10 ] && { [ -n "$(run_processes)" ] || [ "$(listening)" -gt 0 ]; }; do sleep 0.5; done
left=$(run_processes)
if [ -z "$left" ] && [ "$(listening)" -eq 0 ]; then
  echo "== newcomer: everything stopped within $((SECONDS - stop_started))s; 1 passed (shutdown)"
else
  echo "== newcomer: still running 10 s after Ctrl-C; 1 failed (shutdown):"; echo "$left"; ss -ltnp | grep -E ":($PORT|$SIM_PORT) " || true
  kill -KILL -- "-$RUN_PID" 2>/dev/null; echo "$left" | awk '{print $1}' | xargs -r kill -KILL 2>/dev/null
  rc=1
fi
echo "== newcomer: took $((SECONDS - started))s in all"
exit "$rc"
