#!/usr/bin/env bash
# Throughput of client_credentials issuance, the code exchange (two signatures), JWKS,
# discovery and password sign-in, as ratios to this machine's RSA-2048 signing rate S
# and Argon2id verification rate H measured in the same run (DESIGN.md §5).
#
# The server runs with one worker pinned to core 0; wrk runs on core 1.
#   tests/bench/run.sh                   # SQLite + in-process state (the embedded default)
#   BENCH_DB=postgres tests/bench/run.sh # PostgreSQL + Redis (local servers)
# Options (env): BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_PORT (18080).
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
PORT="${BENCH_PORT:-18080}"
BACKEND="${BENCH_DB:-sqlite}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v taskset >/dev/null || { echo "taskset (util-linux) is required" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "needs two cores: one for the server, one for wrk" >&2; exit 1; }

ROOT="$PWD"
cargo build --release --locked --bin vhod >&2
cargo bench --locked --bench argon2 --no-run >&2
BIN="$PWD/target/release/vhod"
WORK=$(mktemp -d)
trap 'kill "${SERVER_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

export VHOD__SERVER__BIND="127.0.0.1:$PORT" VHOD__SERVER__ISSUER="http://127.0.0.1:$PORT"
export VHOD__SERVER__WORKERS=1 VHOD__LOG__LEVEL=warn
export VHOD__KEYS__KEK_FILE="$WORK/kek.b64"
if [ "$BACKEND" = postgres ]; then
    DB="vhod_bench_$$"
    psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $DB" >/dev/null
    trap 'kill "${SERVER_PID:-}" 2>/dev/null || true; psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null; rm -rf "$WORK"' EXIT
    export VHOD__DATABASE__URL="postgres://postgres@127.0.0.1:5432/$DB" VHOD__STATE__URL="redis://127.0.0.1:6379/"
    export VHOD__STATE__KEY_PREFIX="vhodbench:$$:"
    # In production PostgreSQL and Redis run elsewhere: keep them off the server's core
    # (they share core 1 with wrk) so the figures are Vhod's own cost. Restored on exit.
    BACKING=$(pgrep -x redis-server; pgrep -x postgres) || true
    for pid in $BACKING; do taskset -a -p -c 1 "$pid" >/dev/null 2>&1 || true; done
    trap 'kill "${SERVER_PID:-}" 2>/dev/null || true; for pid in $BACKING; do taskset -a -p -c 0-$(($(nproc) - 1)) "$pid" >/dev/null 2>&1 || true; done; psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null; rm -rf "$WORK"' EXIT
else
    export VHOD__DATABASE__URL="sqlite://$WORK/vhod.db" VHOD__STATE__URL=memory
fi

cd "$WORK"
SECRET=$("$BIN" clients create --id bench --scope "read write" --audience https://api.example.ru/ --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
export BENCH_BASIC=$(printf 'bench:%s' "$SECRET" | base64 -w0)

PASSWORD="bench-password-$$-long-enough"
"$BIN" users create --username bench --password "$PASSWORD" >/dev/null
REDIRECT="https://rp.example.ru/callback"
WEB_SECRET=$("$BIN" clients create --id benchweb --grant-type authorization_code --redirect-uri "$REDIRECT" \
    --scope openid --first-party --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')

taskset -c 0 "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

sleep 1
IDLE_KB=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status")

echo "== openssl speed rsa2048 on core 0" >&2
S=$(taskset -c 0 openssl speed -seconds 5 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')

run_wrk() { # name, extra args...
    local name=$1; shift
    taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$@" >"$WORK/$name.txt"
    local rps p50 p99
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/$name.txt")
    p50=$(awk '$1=="50%" {print $2}' "$WORK/$name.txt")
    p99=$(awk '$1=="99%" {print $2}' "$WORK/$name.txt")
    local errors
    errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$WORK/$name.txt")
    printf '%s %s %s %s %s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}

# A signed-in browser for the code-flow and login runs.
VERIFIER=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
CHALLENGE=$(python3 -c 'import base64,hashlib,sys; print(base64.urlsafe_b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).rstrip(b"=").decode())' "$VERIFIER")
ENC_REDIRECT=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$REDIRECT")
AUTHORIZE="/authorize?client_id=benchweb&response_type=code&scope=openid&redirect_uri=$ENC_REDIRECT&code_challenge=$CHALLENGE&code_challenge_method=S256&state=bench"
BASE="http://127.0.0.1:$PORT"
JAR="$WORK/cookies"
LOGIN_URL=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' "$BASE$AUTHORIZE")
LOGIN_PAGE=$(curl -s -c "$JAR" -b "$JAR" "$LOGIN_URL")
field() { printf '%s' "$LOGIN_PAGE" | python3 -c 'import re,sys; print(re.search(r"name=\"%s\" value=\"([^\"]*)\"" % sys.argv[1], sys.stdin.read()).group(1))' "$1"; }
RID=$(field rid); CSRF=$(field csrf)
export BENCH_LOGIN_BODY="rid=$RID&csrf=$CSRF&username=bench&password=$PASSWORD"
curl -s -c "$JAR" -b "$JAR" -o /dev/null -d "$BENCH_LOGIN_BODY" "$BASE/login"
export BENCH_COOKIE=$(awk '{sub(/^#HttpOnly_/, "")} !/^#/ && NF >= 7 {printf "%s%s=%s", sep, $6, $7; sep="; "}' "$JAR")
export BENCH_AUTHORIZE="$AUTHORIZE&prompt=none" BENCH_REDIRECT="$ENC_REDIRECT" BENCH_VERIFIER="$VERIFIER"
export BENCH_WEB_BASIC=$(printf 'benchweb:%s' "$WEB_SECRET" | base64 -w0)

echo "== wrk ($CONNECTIONS connections, ${SECONDS_PER_RUN}s each, server on core 0, wrk on core 1)" >&2
{
    run_wrk token -s "$ROOT/tests/bench/token.lua" "http://127.0.0.1:$PORT/token"
    run_wrk jwks "http://127.0.0.1:$PORT/jwks"
    run_wrk discovery "http://127.0.0.1:$PORT/.well-known/openid-configuration"
    BENCH_BASIC="$BENCH_WEB_BASIC" run_wrk codeflow -s "$ROOT/tests/bench/code.lua" "http://127.0.0.1:$PORT/"
    CONNECTIONS=4 run_wrk login -s "$ROOT/tests/bench/login.lua" "http://127.0.0.1:$PORT/login"
} >"$WORK/results.txt"
read -r _ EXCHANGES EXCHANGE_ERRORS EXCHANGE_SECS < <(grep '^CODE_EXCHANGES' "$WORK/codeflow.txt")
EXCHANGE_RATE=$(python3 -c "print(f'{$EXCHANGES/$EXCHANGE_SECS:.1f}')")

echo "== Argon2id verifications/s on core 0" >&2
H=$(cd "$ROOT" && taskset -c 0 cargo bench --locked --bench argon2 2>/dev/null | awk '/^ARGON2ID_VERIFY_PER_SEC/ {print $2}')

RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
echo
echo "backend: $BACKEND   S (openssl speed rsa2048 sign/s, core 0): $S"
printf '%-10s %12s %10s %10s %8s %s\n' endpoint req/s p50 p99 non2xx ratio
while read -r name rps p50 p99 errors; do
    case $name in
        token) ratio=$(python3 -c "print(f'{$rps/$S:.2f} S (target >= 0.8 S)')") ;;
        codeflow) ratio=$(python3 -c "print(f'{$EXCHANGE_RATE} exchanges/s = {$EXCHANGE_RATE/$S:.2f} S (target >= 0.4 S; {$EXCHANGE_ERRORS} failed)')") ;;
        login) ratio=$(python3 -c "print(f'{$rps/$H:.2f} H (target >= 0.85 H; H = $H Argon2id verifications/s)')") ;;
        *) ratio=$(python3 -c "print(f'{$rps/20000:.2f} of 20,000 req/s target')") ;;
    esac
    printf '%-10s %12s %10s %10s %8s %s\n' "$name" "$rps" "$p50" "$p99" "$errors" "$ratio"
done <"$WORK/results.txt"
echo "server RSS idle: $((IDLE_KB / 1024)) MB (target <= 30 MB); after load: $((RSS_KB / 1024)) MB"
