#!/usr/bin/env bash
# Runs each relay server with relay_client for about 2 s (20 connections) and
# checks that messages were relayed. Usage: relay_smoke_test.sh SERVER EPOLL CLIENT
set -euo pipefail
relay_server="$1"
epoll_relay="$2"
relay_client="$3"
work="${TEST_TMPDIR:-$(mktemp -d)}"

run_one() {
  local name="$1"
  shift
  local port_file="$work/$name.port"
  rm -f "$port_file"
  "$@" --listen=127.0.0.1:0 --port_file="$port_file" --duration=20s >"$work/$name.out" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    [[ -s "$port_file" ]] && break
    sleep 0.05
  done
  if [[ ! -s "$port_file" ]]; then
    echo "$name did not start:"; cat "$work/$name.out"; kill "$pid" 2>/dev/null || true; exit 1
  fi
  local port
  port="$(cat "$port_file")"
  local status=0
  "$relay_client" --server="127.0.0.1:$port" --connections=20 --window=4 --warmup=0.5s \
    --duration=1.5s --connect_timeout=5s --label="$name" --server_pid="$pid" \
    >"$work/$name.client" 2>&1 || status=$?
  kill -TERM "$pid"
  wait "$pid" || true
  cat "$work/$name.client" "$work/$name.out"
  if [[ $status -ne 0 ]]; then echo "FAIL: client against $name exited $status"; exit 1; fi
  local messages
  messages="$(sed -n 's/.* messages=\([0-9]*\) .*/\1/p' "$work/$name.client")"
  if [[ -z "$messages" || "$messages" -le 0 ]]; then echo "FAIL: $name relayed nothing"; exit 1; fi
  echo "ok: $name relayed $messages messages in the window"
}

run_one relay_server "$relay_server" --shards=2
run_one epoll_relay "$epoll_relay" --threads=2
