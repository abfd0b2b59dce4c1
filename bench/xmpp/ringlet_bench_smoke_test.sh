#!/usr/bin/env bash
# Starts ringletd on 127.0.0.1 (port 0), creates 20 accounts, and runs
# ringlet-bench login and chat briefly over plain TCP and over STARTTLS;
# fails unless every run logged everyone in, moved messages and counted no
# error. Usage: ringlet_bench_smoke_test.sh RINGLET_BENCH RINGLETD RINGLETCTL
set -euo pipefail
bench="$1"
ringletd="$2"
ringletctl="$3"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/rbsmoke.XXXXXX")"
# The admin socket path must stay short (sun_path): keep it under /tmp.
admin_dir="$(mktemp -d /tmp/rbsmoke.XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$admin_dir"
}
trap cleanup EXIT

"$ringletctl" --data_dir="$work/data" user add-range 'bench%d@example.org' 1 20 secret --same_salt

run_server() {
  "$ringletd" --domain=example.org --data-dir="$work/data" --c2s-listen=127.0.0.1:0 \
    --c2s-tls-listen= --admin-socket="$admin_dir/admin.sock" --shards=2 --sync=none "$@" \
    >"$work/server.log" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 1 100); do
    port="$(sed -n 's/.*c2s on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log")"
    [[ -n "$port" ]] && break
    sleep 0.05
  done
  if [[ -z "$port" ]]; then echo "ringletd did not start:"; cat "$work/server.log"; exit 1; fi
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

check() {  # NAME ARGS...: runs ringlet-bench, checks its JSON
  local name="$1"; shift
  local status=0
  "$bench" --server="127.0.0.1:$port" --domain=example.org --password=secret --count=20 \
    --concurrency=10 --shards=2 --progress=false --server_pid="$server_pid" \
    --json="$work/$name.json" "$@" >"$work/$name.out" 2>&1 || status=$?
  cat "$work/$name.out"
  if [[ $status -ne 0 ]]; then echo "FAIL: $name exited $status"; cat "$work/server.log"; exit 1; fi
  grep -q '"logins_ok": 20,' "$work/$name.json" || { echo "FAIL: $name: not 20 logins"; exit 1; }
  grep -q '"errors_total": 0,' "$work/$name.json" || { echo "FAIL: $name: errors"; exit 1; }
  echo "ok: $name"
}

# Plain TCP (the server allows it) with SCRAM-SHA-256, then STARTTLS.
run_server --require-tls=false
check login_plain --scenario=login
check chat_plain --scenario=chat --window=4 --warmup=0.3s --duration=1s
check login_tls --scenario=login --tls
check chat_tls --scenario=chat --tls --window=4 --warmup=0.3s --duration=1s --sasl=plain
stop_server
# The default server (STARTTLS required): plain TCP must fail, counted.
run_server
status=0
"$bench" --server="127.0.0.1:$port" --count=2 --shards=1 --progress=false --scenario=login \
  --json="$work/refused.json" >"$work/refused.out" 2>&1 || status=$?
cat "$work/refused.out"
[[ $status -ne 0 ]] || { echo "FAIL: a login without TLS was not reported as failed"; exit 1; }
grep -q '"logins_failed": 2,' "$work/refused.json" || { echo "FAIL: refused logins not counted"; exit 1; }
check login_tls_required --scenario=login --tls
stop_server
echo PASS
