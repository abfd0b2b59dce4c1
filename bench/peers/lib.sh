# Shell helpers shared by the benchmark scripts that start servers
# (bench/compare.sh, bench/tsung/run.sh). Source it; it defines:
#   pids=()           PIDs of servers started here, stopped by stop_started
#   ejabberd_ctl=()   the ejabberdctl command of a running ejabberd, if any
#   wait_port PORT    waits up to 60 s for a listener on 127.0.0.1:PORT
#   stop_started      stops ejabberd (through its node), every PID in pids,
#                     and Erlang's port mapper (epmd) if it was not running
#                     before the script
# and keeps epmd on loopback (ERL_EPMD_ADDRESS).

pids=()
ejabberd_ctl=()
# ejabberdctl and Tsung start epmd if none runs: keep it on loopback, and
# stop it afterwards if the script started it.
export ERL_EPMD_ADDRESS=127.0.0.1
epmd_was_running=0
epmd -names >/dev/null 2>&1 && epmd_was_running=1

stop_started() {
  # ejabberdctl foreground runs the Erlang VM as a child: stop the node
  # itself, or it outlives the script.
  if [[ ${#ejabberd_ctl[@]} -gt 0 ]]; then "${ejabberd_ctl[@]}" stop >/dev/null 2>&1 || true; fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $epmd_was_running == 0 ]] && epmd -names >/dev/null 2>&1; then
    # epmd refuses to stop while a node is still registered.
    for _ in $(seq 1 50); do
      epmd -names 2>/dev/null | grep -q '^name ' || break
      sleep 0.2
    done
    epmd -kill >/dev/null 2>&1 || true
  fi
}

wait_port() {  # PORT: waits up to 60 s for a listener
  for _ in $(seq 1 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}
