#!/usr/bin/env bash
# Runs the same ringlet-bench scenarios against ringletd, Prosody and
# ejabberd on this host, one after the other in one run, and prints a table
# with each figure and ringlet's ratio to each peer.
#
#   bench/compare.sh                 # COUNT=1000, chat W=16 + login
#   COUNT=1000 SCENARIOS="login chat" WINDOW=16 DURATION=10s TLS=0 bench/compare.sh
#
# Installs prosody and ejabberd from Debian if missing (apt-get). Each server
# listens on 127.0.0.1 on its own port with configuration from bench/peers/
# and data under one temporary directory; every server is stopped by PID.
# Accounts bench1..benchCOUNT (password "secret"): ringletctl add-range for
# ringlet; for Prosody the internal_plain account files are written
# directly (prosodyctl register costs ~0.3 s per account); for ejabberd
# through its HTTP API (mod_http_api) on a loopback port.
# The machine has 2 cores, shared by each server and ringlet-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${COUNT:-1000}"
WINDOW="${WINDOW:-16}"
DURATION="${DURATION:-10s}"
SCENARIOS="${SCENARIOS:-login chat}"
TLS="${TLS:-0}"
SERVERS="${SERVERS:-ringlet prosody ejabberd}"
RINGLET_PORT=25222 PROSODY_PORT=25322 EJABBERD_PORT=25422 EJABBERD_API_PORT=25480

if ! command -v prosodyctl >/dev/null || ! command -v ejabberdctl >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y prosody ejabberd >/dev/null
fi
bazel build -c opt //bench/xmpp:ringlet-bench //xmpp/server:ringletd //tools:ringletctl >/dev/null 2>&1
bin="$(bazel info -c opt bazel-bin 2>/dev/null)"
bench="$bin/bench/xmpp/ringlet-bench"

work="$(mktemp -d /tmp/ringlet-compare.XXXXXX)"
chmod 755 "$work"
source bench/peers/lib.sh
trap stop_started EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=example.org" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" >"$work/both.pem"

start_ringlet() {
  "$bin/tools/ringletctl" --data_dir="$work/ringlet" user add-range 'bench%d@example.org' 1 "$COUNT" secret --same_salt >/dev/null
  "$bin/xmpp/server/ringletd" --domain=example.org --data-dir="$work/ringlet" \
    --c2s-listen=127.0.0.1:$RINGLET_PORT --c2s-tls-listen= --admin-socket="$work/ringlet.sock" \
    --shards=2 --require-tls=false >"$work/ringletd.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  port=$RINGLET_PORT
}

write_prosody_accounts() {  # DIR
  local accounts="$1/data/example%2eorg/accounts"
  mkdir -p "$accounts"
  for i in $(seq 1 "$COUNT"); do
    printf 'return {\n\t["password"] = "secret";\n};\n' >"$accounts/bench$i.dat"
  done
}

start_prosody() {
  local dir="$work/prosody"
  mkdir -p "$dir/data"
  cp "$work/cert.pem" "$work/key.pem" "$dir/"
  sed -e "s|@DIR@|$dir|g" -e "s|@C2S_PORT@|$PROSODY_PORT|g" bench/peers/prosody.cfg.lua.in >"$dir/prosody.cfg.lua"
  write_prosody_accounts "$dir"
  chown -R prosody:prosody "$dir" 2>/dev/null || true
  setpriv --reuid=prosody --regid=prosody --init-groups prosody --config "$dir/prosody.cfg.lua" -F \
    >"$dir/stdout.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  port=$PROSODY_PORT
}

start_ejabberd() {
  start_ejabberd_at "$work/ejabberd" "$EJABBERD_PORT" "$EJABBERD_API_PORT" "bench@localhost" "$COUNT" \
    "$work/both.pem"
  port=$EJABBERD_PORT
}

results="$work/results.tsv"
: >"$results"
tls_flag=""
[[ "$TLS" == 1 ]] && tls_flag="--tls"

for server in $SERVERS; do
  "start_$server"
  wait_port "$port"
  # The real server process (ejabberdctl foreground execs erl; prosody is lua).
  real_pid="$(pgrep -n -P "$server_pid" || echo "$server_pid")"
  for scenario in $SCENARIOS; do
    json="$work/$server.$scenario.json"
    echo "== $server $scenario" >&2
    "$bench" --scenario="$scenario" --server="127.0.0.1:$port" --domain=example.org \
      --password=secret --count="$COUNT" --concurrency=100 --window="$WINDOW" \
      --duration="$DURATION" --source_addresses=50 --server_pid="$real_pid" --label="$server" \
      $tls_flag --json="$json" || echo "($server $scenario: ringlet-bench exited $?)" >&2
    python3 - "$json" "$server" "$scenario" >>"$results" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
keys = ["logins_per_second", "login_p99_ms"] if sys.argv[3] == "login" else \
       ["received_per_second", "latency_p50_ms", "latency_p99_ms"]
keys += ["errors_total", "server_cpu_percent", "bench_cpu_percent"]
for k in keys:
    print(f"{sys.argv[3]}\t{k}\t{sys.argv[2]}\t{d[k]}")
PY
  done
  if [[ "$server" == ejabberd ]]; then
    # The foreground wrapper does not pass signals on to the Erlang VM.
    "${ejabberd_ctl[@]}" stop >/dev/null 2>&1 || true
  fi
  kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
done

python3 - "$results" "$SERVERS" <<'PY'
import sys, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    scenario, key, server, value = line.rstrip("\n").split("\t")
    rows.setdefault((scenario, key), {})[server] = float(value)
servers = sys.argv[2].split()
peers = [s for s in servers if s != "ringlet"]
print("| scenario | figure | " + " | ".join(servers) + "".join(f" | ringlet / {p}" for p in peers) + " |")
print("|" + " --- |" * (2 + len(servers) + len(peers)))
for (scenario, key), values in rows.items():
    cells = [f"{values.get(s, float('nan')):.4g}" for s in servers]
    ratios = []
    for p in peers:
        r, v = values.get("ringlet"), values.get(p)
        ratios.append(f"{r / v:.2f}x" if r is not None and v else "-")
    print(f"| {scenario} | {key} | " + " | ".join(cells) + "".join(f" | {x}" for x in ratios) + " |")
PY
echo "(2 cores shared by each server and ringlet-bench; raw JSON in $work)"
