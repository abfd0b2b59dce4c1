#!/usr/bin/env bash
# End-to-end test of ringletctl: the real binary against a data directory
# (offline), against a fake server on a local socket, and its usage errors.
set -uo pipefail

ctl="$1"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect CODE STDOUT_SUBSTRING -- ARGS... ; stdin from $input if set
expect() {
  local code="$1" want="$2"
  shift 3
  local out rc
  out=$("$ctl" "$@" <<<"${input:-}" 2>"$TEST_TMPDIR/stderr")
  rc=$?
  if [[ $rc -ne $code ]]; then
    fail "ringletctl $* exited $rc, want $code; stderr: $(cat "$TEST_TMPDIR/stderr")"
  elif [[ -n "$want" && "$out$(cat "$TEST_TMPDIR/stderr")" != *"$want"* ]]; then
    fail "ringletctl $* printed '$out' / '$(cat "$TEST_TMPDIR/stderr")', want '$want'"
  fi
}

data="$TEST_TMPDIR/data"
it="--scram_iterations=512"

# Offline, straight on the data directory.
expect 1 "no data directory" -- --data_dir="$data" user list example.org
expect 0 "" -- --data_dir="$data" $it user add alice@example.org secret
input="from stdin" expect 0 "" -- --data_dir="$data" $it user add bob@example.org -
expect 1 "account alice@example.org exists" -- --data_dir="$data" user add alice@example.org x
expect 0 $'alice@example.org\nbob@example.org' -- --data_dir="$data" user list example.org
expect 0 "" -- --data_dir="$data" $it user passwd alice@example.org new secret
expect 1 "no account carol@example.org" -- --data_dir="$data" user passwd carol@example.org x
expect 0 "" -- --data_dir="$data" user del bob@example.org
expect 1 "no account bob@example.org" -- --data_dir="$data" user del bob@example.org
out=$("$ctl" --data_dir="$data" user list example.org)
[[ "$out" == "alice@example.org" ]] || fail "after del, list printed '$out'"
expect 0 "added 20 accounts" -- --data_dir="$data" $it user add-range b%d@example.org 1 20 pw
expect 0 "added 5 accounts, skipped 5 that existed" -- --data_dir="$data" $it --same_salt \
  user add-range b%d@example.org 16 25 pw
expect 0 "" -- --data_dir="$data" user list example.org 3
[[ $("$ctl" --data_dir="$data" user list example.org | wc -l) -eq 26 ]] || fail "list is not 26 long"
expect 1 "stats needs a running server" -- --data_dir="$data" stats

# Usage errors.
expect 2 "no command" -- --data_dir="$data"
expect 2 "unknown command 'user frob'" -- --data_dir="$data" user frob
expect 2 "usage: user add JID PASSWORD" -- --data_dir="$data" user add alice@example.org
expect 2 "not a user JID" -- --data_dir="$data" user add example.org pw
expect 2 "--data_dir=DIR or --admin_socket" -- user list example.org
expect 2 "add-range only" -- --data_dir="$data" --same_salt user add a@b c

# A data directory held by a running server whose socket does not answer:
# hold RocksDB's lock (a POSIX record lock on LOCK) from another process.
python3 - "$data/LOCK" >"$TEST_TMPDIR/locker.out" <<'PY' &
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(20)
PY
locker=$!
for _ in $(seq 100); do grep -q locked "$TEST_TMPDIR/locker.out" && break; sleep 0.05; done
expect 1 "in use by a running server" -- --data_dir="$data" user list example.org
kill "$locker"; wait "$locker" 2>/dev/null

# A fake server on <data_dir>/ringlet.sock: ringletctl must prefer it. A
# socket path must be short, so reach $TEST_TMPDIR through a link in /tmp.
link="/tmp/ringletctl-test-$$"
ln -sfn "$TEST_TMPDIR" "$link"
short="$link/data"
python3 - "$short/ringlet.sock" >"$TEST_TMPDIR/server.out" <<'PY' &
import os, socket, sys
path = sys.argv[1]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(4)
server.settimeout(20)
print("listening", flush=True)
for answer in (b"x@example.org\nok\n", b"error: no account y@example.org\n"):
    conn, _ = server.accept()
    request = b""
    while not request.endswith(b"\n"):
        request += conn.recv(4096)
    print(request.decode().strip(), flush=True)
    conn.sendall(answer)
    conn.close()
os.unlink(path)
PY
server=$!
for _ in $(seq 100); do grep -q listening "$TEST_TMPDIR/server.out" && break; sleep 0.05; done
expect 0 "x@example.org" -- --data_dir="$short" user list example.org 5
input="pass word" expect 1 "no account y@example.org" -- --admin_socket="$short/ringlet.sock" \
  user passwd y@example.org -
wait "$server" 2>/dev/null
grep -qx "user list example.org 5" "$TEST_TMPDIR/server.out" || fail "server saw: $(cat "$TEST_TMPDIR/server.out")"
grep -qx "user passwd y@example.org pass word" "$TEST_TMPDIR/server.out" ||
  fail "server saw: $(cat "$TEST_TMPDIR/server.out")"
expect 1 "cannot reach the server's admin socket" -- --admin_socket="$short/ringlet.sock" stats
rm -f "$link"

if [[ $failures -ne 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all ringletctl checks passed"
