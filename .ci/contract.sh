#!/usr/bin/env bash
# The API contract, checked from outside: the whole system (`python -m ifixit.run`, demo data)
# on ports of its own, then schemathesis (pinned in requirements-dev.txt) over every operation
# of /api/schema/ with all its checks, once as the admin and once as a one-location manager
# (manager.leeds). Any failure fails the step. Bounded: CONTRACT_EXAMPLES examples per
# operation and phase, one worker, a fixed seed so a failure found in CI repeats locally.
#
# Rates are off for the run (schemathesis is one fast client, not an attack) and wrong-token
# refusals are not counted (its ignored_auth check sends wrong tokens on purpose); both are
# tested on their own in the suite (ifixit/tests/test_api_throttling.py).
#
#   bash .ci/contract.sh            # or: make test-contract
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
PORT=${CONTRACT_PORT:-8010}
SIM_PORT=${CONTRACT_SIMULATOR_PORT:-8775}
EXAMPLES=${CONTRACT_EXAMPLES:-10}
SEED=${CONTRACT_SEED:-1}
VAR="$ROOT/var/contract"
LOG="$VAR-run.log"
REPORTS="$VAR-reports"
BASE="http://127.0.0.1:$PORT"
started=$SECONDS

rm -rf "$VAR" "$REPORTS"
mkdir -p "$REPORTS"
export IFIXIT_VAR_DIR="$VAR" IFIXIT_PORT="$PORT" IFIXIT_SIMULATOR_PORT="$SIM_PORT"
export API_RATE_PER_TOKEN=off API_RATE_PER_ADDRESS=off API_TOKEN_FAILURE_LIMIT=1000000000

echo "== contract: starting the system on $BASE (log: $LOG)"
setsid "$PY" -m ifixit.run >"$LOG" 2>&1 &
RUN_PID=$!
stop() {
  kill -INT -- "-$RUN_PID" 2>/dev/null
  for _ in $(seq 1 20); do kill -0 "$RUN_PID" 2>/dev/null || return 0; sleep 0.5; done
  kill -KILL -- "-$RUN_PID" 2>/dev/null
}
trap stop EXIT

until curl -fsS --max-time 10 "$BASE/healthz" >/dev/null 2>&1; do
  if ! kill -0 "$RUN_PID" 2>/dev/null; then echo "== contract: the system exited; its last lines:"; tail -n 40 "$LOG"; exit 1; fi
  if [ $((SECONDS - started)) -gt 300 ]; then echo "== contract: not healthy within 300 s"; tail -n 40 "$LOG"; exit 1; fi
  sleep 2
done
echo "== contract: healthy after $((SECONDS - started))s"
# The first schema request builds and caches it; schemathesis gives a schema 10 s.
curl -fsS --max-time 120 -o /dev/null "$BASE/api/schema/" || { echo "== contract: no schema at $BASE/api/schema/"; exit 1; }

token_for() {  # a fresh API token for one demo user, made through the accounts service
  "$PY" manage.py shell --no-imports -c "
from ifixit.accounts.models import User
from ifixit.accounts.services import api_token_create
print(api_token_create(user=User.objects.get(username='$1'), name='contract check')[1])"
}

rc=0
for user in admin manager.leeds; do
  token=$(token_for "$user") || { echo "== contract: no token for $user"; exit 1; }
  echo "== contract: schemathesis as $user ($EXAMPLES examples per operation and phase, seed $SEED)"
  step_started=$SECONDS
  "$ROOT/.venv/bin/schemathesis" --no-color --config-file "$ROOT/.ci/contract/schemathesis.toml" run "$BASE/api/schema/" \
    -H "Authorization: Bearer $token" -H "Host: localhost" \
    --checks all --phases examples,coverage,fuzzing --max-examples "$EXAMPLES" --seed "$SEED" \
    --workers 1 --request-timeout 30 \
    --report junit --report-dir "$REPORTS/$user" 2>&1 | tee "$REPORTS/$user.log"
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    rc=1
    echo "== contract: what failed as $user:"
    "$PY" "$ROOT/.ci/contract/summary.py" <"$REPORTS/$user.log"
  fi
  echo "== contract: as $user took $((SECONDS - step_started))s"
done
echo "== contract: took $((SECONDS - started))s in all; $([ "$rc" = 0 ] && echo "1 passed (contract)" || echo "1 failed (contract)")"
exit "$rc"
