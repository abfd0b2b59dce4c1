#!/usr/bin/env bash
# Tsung STARTTLS login benchmark: ringletd, then ejabberd, on loopback.
#
#   bench/tsung/run.sh
#   RINGLET_BIN_DIR=/tmp/ringlet-opt USERS=200 RATE=20 bench/tsung/run.sh
#   USERS=1 RATE=1 CAPTURE=1 SERVERS=ringlet bench/tsung/run.sh   # one login + pcap
#
# What it measures: Tsung 1.7 (Debian `tsung`, an Erlang/OTP ssl client)
# runs bench/tsung/starttls_login.xml.in against each server in turn: USERS
# users (default 200) arrive at RATE per second (default 20); each opens a
# stream, does STARTTLS, SASL PLAIN, restarts the stream, binds a resource,
# sends </stream:stream> and disconnects (each user logs in once). Printed
# per server, from Tsung's tsung.log (all values in ms, mean and max over
# the run):
#   starttls+restart  transaction tr_starttls: <starttls/> .. <proceed/> ..
#                     TLS handshake .. new stream header .. <stream:features/>
#   xmpp_starttls     the Tsung plugin's own sample: <starttls/> .. its
#                     ssl:connect() returned (no stream restart)
#   connect / auth / bind   the other steps (tr_connect, tr_auth, tr_bind)
#   login             Tsung's "page": TCP connect .. bind result
#   tcp_connect       Tsung's "connect" sample
# and the number of users that finished and any error counters.
# The max of the TLS steps is, for either server, one of the Tsung VM's
# first logins: Erlang's first ssl:connect in a fresh VM costs ~100-150 ms
# (ssl:start and code loading), later ones ~4 ms; the means are the figures
# to compare. Tsung's client socket has Nagle on (gen_tcp default), so a
# server that sends nothing after the client's TLS Finished waits for its own
# delayed ACK (~40 ms) before the client's stream header arrives.
#
# Binaries: RINGLET_BIN_DIR holds ringletd and ringletctl, either flat
# (RINGLET_BIN_DIR/ringletd) or as in bazel-bin (xmpp/server/ringletd,
# tools/ringletctl); default `bazel info -c opt bazel-bin` (this script
# builds nothing: run `bazel build -c opt //xmpp/server:ringletd
# //tools:ringletctl` first, or point RINGLET_BIN_DIR at a copy).
# ringletd runs with TLS on (its self-signed certificate, --require_tls
# default true), ejabberd (Debian 23.01) with starttls and bench/peers/
# ejabberd.yml.in, both on 127.0.0.1 only, each on its own port, data under
# one temporary directory. Accounts bench1..benchUSERS, password "secret":
# ringletctl add-range for ringlet, ejabberd's HTTP API (loopback) for
# ejabberd. Erlang distribution (Tsung, ejabberd) and epmd listen on
# 127.0.0.1 only (ERL_EPMD_ADDRESS, inet_dist_use_interface); Tsung's web
# GUI is off (-n). Every process started here is stopped by PID (epmd with
# `epmd -kill`, only if this script started it). Each Tsung run is cut off
# after TSUNG_TIMEOUT seconds (default 120).
# CAPTURE=1 also records each server's port with tshark into
# WORK/SERVER.pcapng and prints per-login TLS gaps from it
# (bench/tsung/tls_timing.py: <proceed/> -> ClientHello, client Finished ->
# server's next segment, ...).
# Installs tsung and ejabberd from Debian if missing (apt-get).
# The machine has 2 cores, shared by each server and Tsung: the figures are
# latencies under a light load, not capacity.
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS="${USERS:-200}"
RATE="${RATE:-20}"
SERVERS="${SERVERS:-ringlet ejabberd}"
CAPTURE="${CAPTURE:-0}"
TSUNG_TIMEOUT="${TSUNG_TIMEOUT:-120}"
RINGLET_PORT="${RINGLET_PORT:-26222}"
EJABBERD_PORT="${EJABBERD_PORT:-26422}"
EJABBERD_API_PORT="${EJABBERD_API_PORT:-26480}"

if [[ -z "${RINGLET_BIN_DIR:-}" ]]; then
  RINGLET_BIN_DIR="$(bazel info -c opt bazel-bin 2>/dev/null)"
fi
find_bin() {  # NAME BAZEL_SUBDIR
  if [[ -x "$RINGLET_BIN_DIR/$1" ]]; then echo "$RINGLET_BIN_DIR/$1"; return; fi
  if [[ -x "$RINGLET_BIN_DIR/$2/$1" ]]; then echo "$RINGLET_BIN_DIR/$2/$1"; return; fi
  echo "no $1 in $RINGLET_BIN_DIR (set RINGLET_BIN_DIR)" >&2
  return 1
}
if [[ " $SERVERS " == *" ringlet "* ]]; then
  ringletd="$(find_bin ringletd xmpp/server)"
  ringletctl="$(find_bin ringletctl tools)"
fi

missing=()
command -v tsung >/dev/null || missing+=(tsung)
command -v ejabberdctl >/dev/null || missing+=(ejabberd)
[[ "$CAPTURE" == 1 ]] && ! command -v tshark >/dev/null && missing+=(tshark)
if [[ ${#missing[@]} -gt 0 ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null
fi

work="$(mktemp -d /tmp/ringlet-tsung.XXXXXX)"
chmod 755 "$work"
source bench/peers/lib.sh
capture_pid=""
tsung_pid=""
EJABBERD_NODE="tsungbench@localhost"

stop_tree() {  # PID: the process and its direct children (erl wrappers)
  local pid="$1" kids
  kids="$(pgrep -P "$pid" 2>/dev/null || true)"
  kill -TERM "$pid" $kids 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  if [[ -n "$tsung_pid" ]]; then stop_tree "$tsung_pid"; fi
  if [[ -n "$capture_pid" ]]; then kill -INT "$capture_pid" 2>/dev/null || true; wait "$capture_pid" 2>/dev/null || true; fi
  stop_started
}
trap cleanup EXIT

for i in $(seq 1 "$USERS"); do echo "bench$i,secret"; done >"$work/users.csv"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=example.org" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" >"$work/both.pem"

start_ringlet() {
  "$ringletctl" --data_dir="$work/ringlet" user add-range 'bench%d@example.org' 1 "$USERS" secret \
    --same_salt >/dev/null
  # TLS on: without --tls_cert ringletd makes a self-signed certificate in
  # its data dir; --require_tls stays at its default (true).
  "$ringletd" --domain=example.org --data-dir="$work/ringlet" \
    --c2s-listen=127.0.0.1:$RINGLET_PORT --c2s-tls-listen= --admin-socket="$work/ringlet.sock" \
    --shards=2 >"$work/ringletd.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  port=$RINGLET_PORT
}

start_ejabberd() {
  start_ejabberd_at "$work/ejabberd" "$EJABBERD_PORT" "$EJABBERD_API_PORT" "$EJABBERD_NODE" "$USERS" \
    "$work/both.pem"
  port=$EJABBERD_PORT
}

stop_server() {
  if [[ "$1" == ejabberd ]]; then
    # The foreground wrapper does not pass signals on to the Erlang VM.
    "${ejabberd_ctl[@]}" stop >/dev/null 2>&1 || true
    ejabberd_ctl=()
  fi
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}

run_tsung() {  # SERVER PORT
  local server="$1" port="$2" logdir="$work/tsung-$1"
  # Arrivals are random (Poisson): a phase twice as long as USERS/RATE,
  # capped at USERS by maxnumber, lets all of them arrive.
  local duration=$(( 2 * (USERS + RATE - 1) / RATE + 1 ))
  mkdir -p "$logdir"
  sed -e "s|@PORT@|$port|g" -e "s|@USERS@|$USERS|g" -e "s|@RATE@|$RATE|g" \
    -e "s|@DURATION@|$duration|g" -e "s|@USERS_CSV@|$work/users.csv|g" \
    bench/tsung/starttls_login.xml.in >"$work/$server.xml"
  # Tsung's Erlang node: distribution on loopback, no web GUI.
  ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    tsung -n -f "$work/$server.xml" -l "$logdir" start >"$work/tsung-$server.out" 2>&1 &
  tsung_pid=$!
  local waited=0
  while kill -0 "$tsung_pid" 2>/dev/null; do
    if (( waited >= TSUNG_TIMEOUT * 10 )); then
      echo "($server: Tsung still running after ${TSUNG_TIMEOUT}s, stopped)" >&2
      stop_tree "$tsung_pid"
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  wait "$tsung_pid" 2>/dev/null || true
  tsung_pid=""
}

report() {  # SERVER: prints its figures from tsung.log
  local log
  log="$(find "$work/tsung-$1" -name tsung.log | head -1)"
  if [[ -z "$log" ]]; then
    echo "== $1: no tsung.log (see $work/tsung-$1.out)"
    return
  fi
  python3 - "$1" "$log" <<'PY'
import sys, collections
server, path = sys.argv[1], sys.argv[2]
samples = collections.defaultdict(lambda: [0, 0.0, 0.0])  # count, sum, max
counters = collections.OrderedDict()
for line in open(path):
    f = line.split()
    if len(f) < 2 or f[0] != "stats:":
        continue
    name = f[1]
    if len(f) == 9:  # sample: name count mean stddev max min mean_all count_all
        count, mean, mx = int(f[2]), float(f[3]), float(f[5])
        s = samples[name]
        s[0] += count
        s[1] += count * mean
        if count:
            s[2] = max(s[2], mx)
    elif len(f) == 4:  # counter: name this_period total
        counters[name] = f[3]
rows = [("starttls+restart", "tr_starttls"), ("xmpp_starttls", "xmpp_starttls"),
        ("connect (stream)", "tr_connect"), ("auth+restart", "tr_auth"),
        ("bind", "tr_bind"), ("login (page)", "page"), ("tcp_connect", "connect")]
print(f"== {server}")
print(f"  {'step':<18} {'count':>6} {'mean ms':>9} {'max ms':>9}")
for label, key in rows:
    c, total, mx = samples.get(key, [0, 0.0, 0.0])
    mean = total / c if c else float("nan")
    print(f"  {label:<18} {c:>6} {mean:>9.2f} {mx:>9.2f}")
users = counters.get("finish_users_count", "0")
errors = {k: v for k, v in counters.items() if "error" in k or "timeout" in k}
print(f"  finished users: {users}" + (f"; errors: {errors}" if errors else ""))
PY
}

for server in $SERVERS; do
  "start_$server"
  wait_port "$port"
  if [[ "$CAPTURE" == 1 ]]; then
    tshark -q -i lo -f "tcp port $port" -w "$work/$server.pcapng" >"$work/tshark-$server.log" 2>&1 &
    capture_pid=$!
    sleep 2  # tshark needs a moment before it captures
  fi
  echo "== $server: $USERS users at $RATE/s on 127.0.0.1:$port" >&2
  run_tsung "$server" "$port"
  if [[ -n "$capture_pid" ]]; then
    sleep 0.5
    kill -INT "$capture_pid" 2>/dev/null || true
    wait "$capture_pid" 2>/dev/null || true
    capture_pid=""
  fi
  stop_server "$server"
done

for server in $SERVERS; do report "$server"; done
if [[ "$CAPTURE" == 1 ]]; then
  for server in $SERVERS; do
    [[ "$server" == ringlet ]] && p=$RINGLET_PORT || p=$EJABBERD_PORT
    python3 bench/tsung/tls_timing.py "$work/$server.pcapng" "$p" || true
  done
  echo "(captures: $work/*.pcapng)"
fi
echo "(2 cores shared by each server and Tsung; Tsung logs in $work)"
