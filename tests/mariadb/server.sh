#!/usr/bin/env bash
# tests/mariadb/server.sh — a throwaway MariaDB server for the tests:
# `start DIR` runs mariadb-install-db into a fresh folder under /tmp and
# mariadbd on a free loopback port and a Unix socket inside that folder (as
# the mysql user when run as root: the data files must not be root's), with
# settings that make a small, quick test server; then writes DIR/url
# (mariadb://ladder:PW@127.0.0.1:PORT/ — a test appends its database),
# DIR/socket, DIR/port and DIR/datadir. `stop DIR` shuts it down and removes
# the folder; it succeeds after a failed start and when called twice.
#
# Users: root (no password, socket only), ladder (a password, ALL on *.*
# WITH GRANT OPTION, from localhost and 127.0.0.1), reader (its own
# password, SELECT only): the read-only user of the tests' refusals.
set -u

LADDER_PASSWORD='ladder-secret-pw'
READER_PASSWORD='reader-secret-pw'

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u mysql -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

find_server() {
  local p
  for p in "${MARIADBD:-}" /usr/sbin/mariadbd /usr/sbin/mysqld "$(command -v mariadbd 2>/dev/null)"; do
    [ -n "$p" ] && [ -x "$p" ] && { echo "$p"; return 0; }
  done
  return 1
}

stop() {
  local dir=$1 datadir="" pid=""
  [ -f "$dir/datadir" ] && datadir=$(cat "$dir/datadir")
  if [ -n "$datadir" ] && [ -d "$datadir" ]; then
    [ -f "$datadir/mariadbd.pid" ] && pid=$(cat "$datadir/mariadbd.pid" 2>/dev/null)
    if [ -S "$datadir/sock" ]; then
      mariadb-admin --no-defaults -uroot -S "$datadir/sock" --connect-timeout=5 shutdown >/dev/null 2>&1
    fi
    if [ -n "$pid" ]; then
      # shutdown returns before the process has gone: wait, then insist
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null
    fi
    case "$datadir" in
      */ladder-maria-*) rm -rf "$datadir" ;;
    esac
  fi
  rm -f "$dir/url" "$dir/datadir" "$dir/socket" "$dir/port"
  return 0
}

start() {
  local dir=$1 server datadir port attempt pid=""
  mkdir -p "$dir" || die "cannot create $dir"
  dir=$(cd "$dir" && pwd)
  stop "$dir" # a server left over from an earlier run
  server=$(find_server) || die "mariadbd not found: install mariadb-server (see scripts/deps.sh)"
  command -v mariadb-install-db >/dev/null || die "mariadb-install-db not found: install mariadb-server"
  if [ "$(id -u)" -eq 0 ]; then
    id mysql >/dev/null 2>&1 || die "running as root needs a 'mysql' user to own the server's files"
  fi

  # In memory (/dev/shm) where there is one, else under /tmp, whatever
  # TMPDIR says (the socket path must stay short): on disk every DDL
  # statement waits for fsync, 13 s for the 300 steps of the kill trials
  # against 1 s in memory. LADDER_MARIADB_TMP chooses (the benchmarks
  # measure on disk too).
  local base=${LADDER_MARIADB_TMP:-}
  if [ -z "$base" ]; then
    base=/tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
  fi
  datadir=$(mktemp -d "$base/ladder-maria-XXXXXX") || die "mktemp failed"
  echo "$datadir" >"$dir/datadir"
  # its own temporary folder: /tmp is shared with every test, and a
  # server's temporary tables there have been deleted under it
  mkdir "$datadir/data" "$datadir/tmp"
  [ "$(id -u)" -eq 0 ] && chown -R mysql: "$datadir"
  chmod 755 "$datadir"

  # --no-defaults: nothing from /etc/mysql (a system server's settings)
  as_owner mariadb-install-db --no-defaults --datadir="$datadir/data" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >"$dir/install.log" 2>&1 ||
    { cat "$dir/install.log" >&2; die "mariadb-install-db failed"; }

  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" && continue
    rm -f "$datadir/server.log"
    # A small, quick server: no binary log, no performance schema, a small
    # buffer pool and redo log, commits flushed once a second. The
    # metadata_lock_info plugin lists user locks (GET_LOCK), the migration
    # lock among them, for the tests to count.
    as_owner "$server" --no-defaults --datadir="$datadir/data" --socket="$datadir/sock" \
      --pid-file="$datadir/mariadbd.pid" --log-error="$datadir/server.log" --tmpdir="$datadir/tmp" \
      --bind-address=127.0.0.1 --port="$port" --skip-log-bin --skip-name-resolve \
      --innodb-buffer-pool-size=32M --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=2 \
      --innodb-doublewrite=0 --performance-schema=OFF --max-connections=300 \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --skip-external-locking --loose-innodb-use-native-aio=0 \
      --plugin-load-add=metadata_lock_info.so </dev/null >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 300); do
      if mariadb-admin --no-defaults -uroot -S "$datadir/sock" --connect-timeout=2 ping >/dev/null 2>&1; then
        break 2
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    # Lost a race for the port, or did not start: try another.
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=""
  done
  if [ -z "$pid" ]; then
    cat "$datadir/server.log" >&2 2>/dev/null
    die "the server did not start"
  fi

  mariadb --no-defaults -uroot -S "$datadir/sock" >"$dir/users.log" 2>&1 <<SQL ||
CREATE USER 'ladder'@'localhost' IDENTIFIED BY '$LADDER_PASSWORD';
CREATE USER 'ladder'@'127.0.0.1' IDENTIFIED BY '$LADDER_PASSWORD';
GRANT ALL ON *.* TO 'ladder'@'localhost' WITH GRANT OPTION;
GRANT ALL ON *.* TO 'ladder'@'127.0.0.1' WITH GRANT OPTION;
CREATE USER 'reader'@'localhost' IDENTIFIED BY '$READER_PASSWORD';
CREATE USER 'reader'@'127.0.0.1' IDENTIFIED BY '$READER_PASSWORD';
GRANT SELECT ON *.* TO 'reader'@'localhost';
GRANT SELECT ON *.* TO 'reader'@'127.0.0.1';
SQL
    { cat "$dir/users.log" >&2; stop "$dir"; die "cannot create the users"; }

  echo "mariadb://ladder:$LADDER_PASSWORD@127.0.0.1:$port/" >"$dir/url"
  echo "$datadir/sock" >"$dir/socket"
  echo "$port" >"$dir/port"
  echo "server.sh: MariaDB on 127.0.0.1:$port, socket $datadir/sock, data in $datadir"
}

case "${1:-}" in
  start) [ $# -eq 2 ] || die "usage: server.sh start|stop DIR"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: server.sh start|stop DIR"; stop "$2" ;;
  *) die "usage: server.sh start|stop DIR" ;;
esac
