#!/usr/bin/env bash
# deps.sh — make sure the Debian packages ladder builds and tests with are
# installed. As root it installs what is missing; otherwise it prints the exact
# apt-get line and fails, so `make` never half-builds on a bare machine.
set -euo pipefail

packages=(
  build-essential cmake pkg-config   # compiler, build system
  libsqlite3-dev sqlite3             # SQLite engine; the sqlite3 shell for tests and benchmarks
  libssl-dev                         # libcrypto: SHA-256 checksums
  libcmocka-dev                      # the unit-test runner
  libpq-dev                          # PostgreSQL client library
  libpg-query-dev                    # PostgreSQL's own parser: split and inspect SQL
  postgresql                         # a real server for the PostgreSQL tests (started by the harness)
  openssh-client                     # ssh-keygen makes the vault example's test keys
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "deps: missing Debian packages; install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
