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

# start_ejabberd_at DIR C2S_PORT API_PORT NODE ACCOUNTS CERT_PEM
#   Starts Debian's ejabberd as user ejabberd (setpriv: ejabberd started
#   through su gets a 1,024 open-file limit) with bench/peers/ejabberd.yml.in,
#   data and logs in DIR, client port C2S_PORT, HTTP API on API_PORT, Erlang
#   distribution and epmd on loopback only; waits until it serves, then
#   registers bench1..benchACCOUNTS (password "secret") through the API
#   (Debian's ejabberd cannot import Prosody's data, and one
#   `ejabberdctl register` costs a VM start). Sets server_pid and
#   ejabberd_ctl, and adds the PID to pids.
start_ejabberd_at() {
  local dir="$1" c2s_port="$2" api_port="$3" node="$4" accounts="$5" cert="$6"
  mkdir -p "$dir/spool" "$dir/logs"
  cp "$cert" "$dir/both.pem"
  sed -e "s|@DIR@|$dir|g" -e "s|@C2S_PORT@|$c2s_port|g" \
    -e "s|@API_PORT@|$api_port|g" bench/peers/ejabberd.yml.in >"$dir/ejabberd.yml"
  # Not Debian's /etc/ejabberd/ejabberdctl.cfg (it points at the public
  # config); Erlang distribution on loopback only.
  echo 'INET_DIST_INTERFACE=127.0.0.1' >"$dir/ejabberdctl.cfg"
  chown -R ejabberd:ejabberd "$dir"
  ejabberd_ctl=(setpriv --reuid=ejabberd --regid=ejabberd --init-groups
                env HOME="$dir" EJABBERD_CONFIG_PATH="$dir/ejabberd.yml" ERL_EPMD_ADDRESS=127.0.0.1
                ejabberdctl --config "$dir/ejabberd.yml" --ctl-config "$dir/ejabberdctl.cfg"
                --spool "$dir/spool" --logs "$dir/logs" --node "$node")
  "${ejabberd_ctl[@]}" foreground >"$dir/stdout.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  wait_port "$c2s_port"
  "${ejabberd_ctl[@]}" started
  wait_port "$api_port"
  seq 1 "$accounts" | xargs -P 8 -I{} curl -s -o /dev/null -X POST \
    "http://127.0.0.1:$api_port/api/register" \
    -d '{"user":"bench{}","host":"example.org","password":"secret"}'
}
