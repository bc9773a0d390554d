# tests/pg/common.bash — what the throwaway-server scripts (server.sh,
# pgbouncer.sh) share: sourced, not run. die names the script that failed.
# shellcheck shell=bash

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# Run a server program as the user that owns the data folder: PostgreSQL
# and PgBouncer refuse to run as root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
