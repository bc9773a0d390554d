#!/usr/bin/env bash
# tests/pg/server.sh — a throwaway PostgreSQL server for the tests and the
# benchmarks: `start DIR` runs initdb and pg_ctl in a fresh folder under /tmp
# (as the postgres user when run as root: the server refuses root), on a
# free loopback port and a Unix socket inside that folder, then writes the
# server's URL to DIR/url and the data folder to DIR/datadir. `stop DIR`
# stops it and removes the folder; it succeeds even after a failed start.
#
# Besides the trust-authenticated superuser `postgres`, the role ladder_pw
# logs in over TCP with a password (scram-sha-256) only, for the tests of
# failed logins.
set -u

LADDER_PW_PASSWORD='ladder-pw-s3cret'

. "$(dirname "${BASH_SOURCE[0]}")/common.bash"

# Where initdb and pg_ctl live: $PG_BINDIR, pg_config's answer, or the
# newest Debian cluster version.
find_bindir() {
  local dir
  for dir in "${PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null)"; do
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
    return 0
  fi
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}



stop() {
  local dir=$1 datadir="" bindir
  [ -f "$dir/datadir" ] && datadir=$(cat "$dir/datadir")
  if [ -n "$datadir" ] && [ -d "$datadir" ]; then
    if [ -f "$datadir/postmaster.pid" ] && bindir=$(find_bindir); then
      as_owner "$bindir/pg_ctl" -D "$datadir" -m immediate -w -t 60 stop >/dev/null 2>&1 ||
        kill -9 "$(head -n 1 "$datadir/postmaster.pid" 2>/dev/null)" 2>/dev/null
    fi
    case "$datadir" in
      /tmp/ladder-pg-*|"${TMPDIR:-/tmp}"/ladder-pg-*) rm -rf "$datadir" ;;
    esac
  fi
  rm -f "$dir/url" "$dir/datadir"
  return 0
}

start() {
  local dir=$1 bindir datadir port attempt psql
  mkdir -p "$dir" || die "cannot create $dir"
  stop "$dir" # a server left over from an earlier run
  bindir=$(find_bindir) || die "initdb not found: install postgresql (see scripts/deps.sh)"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run the server"
  fi

  # Under /tmp whatever TMPDIR says: the socket path must stay short.
  datadir=$(mktemp -d /tmp/ladder-pg-XXXXXX) || die "mktemp failed"
  echo "$datadir" >"$dir/datadir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$datadir"
  chmod 700 "$datadir"

  as_owner "$bindir/initdb" -D "$datadir" -A trust -U postgres -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

  # The password-only role comes first: pg_hba.conf takes the first match.
  as_owner sh -c "{ echo 'host all ladder_pw 127.0.0.1/32 scram-sha-256'; cat '$datadir/pg_hba.conf'; } \
    >'$datadir/pg_hba.new' && mv '$datadir/pg_hba.new' '$datadir/pg_hba.conf'" ||
    die "cannot write pg_hba.conf"

  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" && continue
    as_owner sh -c "cat >>'$datadir/postgresql.conf'" <<EOF
# ladder test server
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$datadir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
autovacuum = off
EOF
    if as_owner "$bindir/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w -t 60 start >/dev/null 2>&1; then
      break
    fi
    port=""
    # Lost a race for the port: drop the settings and try another.
    as_owner sh -c "sed -i '/^# ladder test server/,\$d' '$datadir/postgresql.conf'"
  done
  if [ -z "$port" ]; then
    cat "$datadir/server.log" >&2 2>/dev/null
    die "the server did not start"
  fi

  psql=psql
  [ -x "$bindir/psql" ] && psql="$bindir/psql"
  "$psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE ladder_pw LOGIN PASSWORD '$LADDER_PW_PASSWORD'" >/dev/null 2>"$dir/psql.log" ||
    { cat "$dir/psql.log" >&2; die "cannot create the role ladder_pw"; }

  echo "postgres://postgres@127.0.0.1:$port/postgres" >"$dir/url"
  echo "server.sh: PostgreSQL on 127.0.0.1:$port, data in $datadir"
}

case "${1:-}" in
  start) [ $# -eq 2 ] || die "usage: server.sh start|stop DIR"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: server.sh start|stop DIR"; stop "$2" ;;
  *) die "usage: server.sh start|stop DIR" ;;
esac
