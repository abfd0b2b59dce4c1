#!/usr/bin/env bash
# Runs the loopback relay benchmark: each server (relay_server on io_uring,
# epoll_relay) against relay_client at 1,000 and 10,000 connections, REPS
# times, interleaved, and prints one line per run and a summary table
# (median and min..max of the runs).
#
#   bazel build -c opt //bench/relay/...
#   bench/relay/run_relay.sh [BIN_DIR]     (default: bazel-out/k8-opt/bin/bench/relay)
#
# Environment: REPS (3), DURATION (5s), WARMUP (1s), WINDOW (8), CONNECTIONS
# ("1000 10000"), SHARDS (0 = one per core, both servers and the client).
#
# Server and client run as separate processes, each in its own session
# (setsid): with Linux's autogroup scheduling a session is one scheduling
# entity, and a server and client sharing one were measured to starve each
# other under background load (bench/RESULTS.md, "## Relay"). Every process
# started here is stopped here, by PID; the whole run is bounded by the
# client's own limits (connect timeout 60 s, warm-up + duration per run).
set -euo pipefail

src_dir="${1:-bazel-out/k8-opt/bin/bench/relay}"
reps="${REPS:-3}"
duration="${DURATION:-5s}"
warmup="${WARMUP:-1s}"
window="${WINDOW:-8}"
connection_counts="${CONNECTIONS:-1000 10000}"
shards="${SHARDS:-0}"

work="$(mktemp -d /tmp/run_relay.XXXXXX)"
# Copies, so that a rebuild by someone else mid-run does not swap binaries.
for binary in relay_server epoll_relay relay_client; do
  cp "$src_dir/$binary" "$work/$binary"
done
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# run_one NAME PORT CONNECTIONS: one server start, one client run, one stop.
run_one() {
  local name="$1" port="$2" connections="$3"
  local port_file="$work/$name.port"
  rm -f "$port_file"
  case "$name" in
    ringlet) setsid "$work/relay_server" --listen="127.0.0.1:$port" --shards="$shards" \
               --port_file="$port_file" --duration=300s >"$work/server.out" 2>&1 & ;;
    epoll) setsid "$work/epoll_relay" --listen="127.0.0.1:$port" --threads="$shards" \
             --port_file="$port_file" --duration=300s >"$work/server.out" 2>&1 & ;;
  esac
  server_pid=$!
  for _ in $(seq 1 100); do
    [[ -s "$port_file" ]] && break
    sleep 0.05
  done
  if [[ ! -s "$port_file" ]]; then
    echo "$name did not start:" >&2; cat "$work/server.out" >&2; exit 1
  fi
  local line
  line="$(setsid "$work/relay_client" --server="127.0.0.1:$port" --connections="$connections" \
            --window="$window" --warmup="$warmup" --duration="$duration" --shards="$shards" \
            --server_pid="$server_pid" --label="$name" 2>"$work/client.err" | grep '^RESULT' || true)"
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
  if [[ -z "$line" ]]; then
    echo "client against $name at $connections connections failed:" >&2
    cat "$work/client.err" >&2
    echo "FAILED label=$name connections=$connections" >>"$work/results"
    return
  fi
  echo "$line"
  echo "$line" >>"$work/results"
  sleep 1  # let the closed connections' TIME_WAIT states settle a little
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq 1 "$reps"); do
  for connections in $connection_counts; do
    run_one ringlet 15301 "$connections"
    run_one epoll 15302 "$connections"
  done
done

echo
echo "# median (min..max) over $reps runs; window=$window per direction, 100-byte messages"
printf '%-8s %11s %28s %22s %22s %14s %14s %20s\n' server connections "messages/s" "p50 us" "p99 us" "client cpu%" "server cpu%" "server ns cpu/msg"
awk '
  function field(name,   i, kv) {
    for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] }
    return ""
  }
  /^RESULT/ {
    key = field("label") " " field("connections")
    n[key]++
    rate[key, n[key]] = field("messages_per_second")
    p50[key, n[key]] = field("p50_us")
    p99[key, n[key]] = field("p99_us")
    ccpu[key, n[key]] = field("client_cpu_percent")
    scpu[key, n[key]] = field("server_cpu_percent")
    # Server CPU per relayed message: steadier than the rate when other
    # work shares the cores.
    sns[key, n[key]] = field("server_cpu_percent") * 1e7 / field("messages_per_second")
    if (!(key in seen)) { seen[key] = 1; order[++keys] = key }
  }
  function stats(arr, key, count,   i, j, v, t) {
    for (i = 1; i <= count; i++) v[i] = arr[key, i] + 0
    for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    if (count % 2) med = v[(count + 1) / 2]; else med = (v[count / 2] + v[count / 2 + 1]) / 2
    return sprintf("%.0f (%.0f..%.0f)", med, v[1], v[count])
  }
  END {
    for (k = 1; k <= keys; k++) {
      key = order[k]; split(key, parts, " ")
      printf "%-8s %11s %28s %22s %22s %14s %14s %20s\n", parts[1], parts[2], stats(rate, key, n[key]),
        stats(p50, key, n[key]), stats(p99, key, n[key]), stats(ccpu, key, n[key]), stats(scpu, key, n[key]),
        stats(sns, key, n[key])
    }
  }' "$work/results"
grep FAILED "$work/results" || true
rm -rf "$work"
