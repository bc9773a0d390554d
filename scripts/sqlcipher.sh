#!/usr/bin/env bash
# sqlcipher.sh — put SQLCipher 4's amalgamation (sqlite3.c, sqlite3.h) in a
# cache folder and print that folder. Debian ships only SQLCipher 3.4 (on
# SQLite 3.15), which cannot read SQLCipher 4 files; the npm package
# @journeyapps/sqlcipher carries SQLCipher's own amalgamation, which CMake
# then builds with OpenSSL's libcrypto (-DLADDER_SQLCIPHER=DIR). The files
# are checked against pinned SHA-256 digests: a changed package is refused.
set -euo pipefail

version=6.0.0                 # @journeyapps/sqlcipher: SQLCipher 4.14.0 on SQLite 3.51.3
c_sha=2ba87bbc92caf02c0ac640198c537c24bdda899a18bbba289f3d3f44d56795e4
h_sha=c7253bc5d2ba0fad5236fc10ed959f99374bdbc224c200250c9c4a90edf56023
dir=${LADDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ladder}/sqlcipher-4.14.0

verified() {
  [ -f "$dir/sqlite3.c" ] && [ -f "$dir/sqlite3.h" ] &&
    echo "$c_sha  $dir/sqlite3.c" | sha256sum --quiet -c - 2>/dev/null &&
    echo "$h_sha  $dir/sqlite3.h" | sha256sum --quiet -c - 2>/dev/null
}

if ! verified; then
  command -v npm >/dev/null || { echo "sqlcipher: npm is needed to fetch SQLCipher's amalgamation" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "sqlcipher: fetching @journeyapps/sqlcipher@$version (SQLCipher 4.14.0 amalgamation) with npm" >&2
  (cd "$work" && npm pack --silent --no-fund --no-audit "@journeyapps/sqlcipher@$version" >/dev/null)
  tar -xzf "$work"/journeyapps-sqlcipher-"$version".tgz -C "$work" \
    package/deps/sqlcipher-amalgamation/sqlite3.c package/deps/sqlcipher-amalgamation/sqlite3.h \
    package/deps/sqlcipher-amalgamation/VERSION.txt package/LICENSE
  mkdir -p "$dir"
  cp "$work"/package/deps/sqlcipher-amalgamation/* "$work"/package/LICENSE "$dir"/
  if ! verified; then
    echo "sqlcipher: the amalgamation in @journeyapps/sqlcipher@$version does not match its pinned digests; refusing it" >&2
    rm -f "$dir/sqlite3.c" "$dir/sqlite3.h"
    exit 1
  fi
fi
echo "$dir"
