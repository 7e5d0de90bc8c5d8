#!/usr/bin/env bash
# Builds the studybase binary into a meson build folder and installs the `vector` extension
# into the system's PostgreSQL 15 (needs root, as PostgreSQL's extension folder is system-wide).
#   scripts/build.sh [BUILD_DIR [MESON_OPTION...]]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$@" >/dev/null
fi
log=$(mktemp)
ninja -C "$dir" >"$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 1; }
rm -f "$log"
if [ -f ext/vector/Makefile ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  make -s -C ext/vector PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
  $sudo make -s -C ext/vector PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config install >/dev/null
fi
