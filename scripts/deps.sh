#!/usr/bin/env bash
# deps.sh — make sure the Debian packages ladder builds and tests with are
# installed, and dbmate (from npm: Debian does not package it), which the
# side-by-side adopt tests run for real. As root it installs what is missing;
# otherwise it prints the exact commands and fails, so `make` never
# half-builds on a bare machine.
set -euo pipefail

packages=(
  build-essential cmake pkg-config   # compiler, build system
  libsqlite3-dev sqlite3             # SQLite engine; the sqlite3 shell for tests and benchmarks
  libssl-dev                         # libcrypto: SHA-256 checksums
  libcmocka-dev                      # the unit-test runner
  libpq-dev                          # PostgreSQL client library
  libpg-query-dev                    # PostgreSQL's own parser: split and inspect SQL
  libprotobuf-c-dev                  # the header for libpg_query's typed parse tree (lint)
  postgresql                         # a real server for the PostgreSQL tests (started by the harness)
  pgbouncer                          # a real pooler in front of it, for the connection-pooler tests
  libmariadb-dev                     # MariaDB/MySQL client library (Connector/C) for the MariaDB driver
  mariadb-server                     # a real server for the MariaDB tests (tests/mariadb/server.sh starts it)
  openssh-client                     # ssh-keygen makes the vault example's test keys
  sql-migrate                        # the real sql-migrate, for the adopt tests
  nodejs                             # runs npm, which installs dbmate for the adopt tests
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
# npm ships inside some nodejs builds (NodeSource's conflicts with Debian's npm)
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
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
fi

# squawk: the PostgreSQL migration linter that `ladder lint` is compared
# with on the same catalogue (tests/lint); its npm package ships the binary.
if ! command -v squawk >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "deps: installing squawk-cli with npm" >&2
    npm install -g --no-fund --no-audit --loglevel=error squawk-cli >&2
  else
    echo "deps: squawk is missing; install it with:" >&2
    echo "  sudo npm install -g squawk-cli" >&2
    exit 1
  fi
fi

# dbmate: the npm package carries the prebuilt binary for this platform
# (@dbmate/linux-x64) and puts `dbmate` on the PATH.
if ! command -v dbmate >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "deps: installing dbmate with npm" >&2
    npm install -g --no-fund --no-audit --loglevel=error dbmate >&2
  else
    echo "deps: dbmate is missing; install it with:" >&2
    echo "  sudo npm install -g dbmate" >&2
    exit 1
  fi
fi
