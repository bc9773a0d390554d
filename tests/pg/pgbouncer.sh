#!/usr/bin/env bash
# tests/pg/pgbouncer.sh — a throwaway PgBouncer in front of the test server
# that tests/pg/server.sh started, for the tests of ladder behind a pooler:
# `start DIR SERVER_DIR [transaction|session]` writes its config to a fresh
# folder under /tmp, listens on a free loopback port with default_pool_size
# 3 (as the postgres user when run as root: pgbouncer refuses root) and
# writes the pooler's URL to DIR/url. Clients are trusted; the pooler logs in
# to the server as they do (the test server trusts loopback). `stop DIR`
# stops it and removes the folder; it succeeds even after a failed start.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/common.bash"



stop() {
  local dir=$1 confdir="" pid
  [ -f "$dir/confdir" ] && confdir=$(cat "$dir/confdir")
  if [ -n "$confdir" ] && [ -d "$confdir" ]; then
    if [ -f "$confdir/pgbouncer.pid" ]; then
      pid=$(cat "$confdir/pgbouncer.pid" 2>/dev/null)
      if [ -n "$pid" ]; then
        kill -INT "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
      fi
    fi
    case "$confdir" in
      /tmp/ladder-pgb-*) rm -rf "$confdir" ;;
    esac
  fi
  rm -f "$dir/url" "$dir/confdir"
  return 0
}

start() {
  local dir=$1 server_dir=$2 mode=${3:-transaction} server_url server_port confdir port attempt
  case "$mode" in transaction|session) ;; *) die "pool mode must be transaction or session" ;; esac
  command -v pgbouncer >/dev/null || die "pgbouncer not found: install pgbouncer (see scripts/deps.sh)"
  [ -f "$server_dir/url" ] || die "no server in $server_dir: start it with tests/pg/server.sh first"
  server_url=$(cat "$server_dir/url")
  server_port=${server_url##*:}
  server_port=${server_port%%/*}
  mkdir -p "$dir" || die "cannot create $dir"
  stop "$dir"
  confdir=$(mktemp -d /tmp/ladder-pgb-XXXXXX) || die "mktemp failed"
  echo "$confdir" >"$dir/confdir"
  echo '"postgres" ""' >"$confdir/userlist.txt"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$confdir"

  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" && continue
    cat >"$confdir/pgbouncer.ini" <<EOF
; ladder test pooler
[databases]
* = host=127.0.0.1 port=$server_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $confdir/userlist.txt
pool_mode = $mode
default_pool_size = 3
max_client_conn = 500
server_reset_query = DISCARD ALL
ignore_startup_parameters = extra_float_digits,options
logfile = $confdir/pgbouncer.log
pidfile = $confdir/pgbouncer.pid
EOF
    [ "$(id -u)" -eq 0 ] && chown postgres: "$confdir/pgbouncer.ini"
    if as_owner pgbouncer -d -q "$confdir/pgbouncer.ini" 2>>"$confdir/start.log"; then
      for _ in $(seq 50); do port_in_use "$port" && break; sleep 0.1; done
      port_in_use "$port" && break
    fi
    port=""
  done
  if [ -z "$port" ]; then
    cat "$confdir/start.log" "$confdir/pgbouncer.log" >&2 2>/dev/null
    die "pgbouncer did not start"
  fi
  echo "postgres://postgres@127.0.0.1:$port/postgres" >"$dir/url"
  echo "pgbouncer.sh: PgBouncer ($mode pooling, pool size 3) on 127.0.0.1:$port"
}

case "${1:-}" in
  start) [ $# -ge 3 ] && [ $# -le 4 ] || die "usage: pgbouncer.sh start DIR SERVER_DIR [transaction|session] | stop DIR"
         start "$2" "$3" "${4:-transaction}" ;;
  stop) [ $# -eq 2 ] || die "usage: pgbouncer.sh stop DIR"; stop "$2" ;;
  *) die "usage: pgbouncer.sh start DIR SERVER_DIR [transaction|session] | stop DIR" ;;
esac
