#!/usr/bin/env bash
# Builds the studybase binary into a meson build folder and installs the `vector` extension
# into the system's PostgreSQL 15 (needs root, as PostgreSQL's extension folder is system-wide).
# SB_KEEP_INSTALLED_VECTOR=1 leaves an already installed vector extension in place.
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
  pg_config=/usr/lib/postgresql/15/bin/pg_config
  make -s -C ext/vector PG_CONFIG=$pg_config
  installed="$($pg_config --pkglibdir)/vector.so"
  # Several checkouts on one machine share the system's extension folder: a build that lacks
  # C functions the installed one has (an older checkout, say one without the hnsw index) does
  # not replace it. Anything else is installed, SQL script included (make -C ext/vector
  # install forces it).
  functions() { nm -D --defined-only "$1" | awk '{ print $3 }' | sort; }
  if [ -n "${SB_KEEP_INSTALLED_VECTOR:-}" ] && [ -f "$installed" ]; then
    : # asked to leave the installed extension alone (another checkout on this machine owns it)
  elif [ -f "$installed" ] && [ -n "$(comm -13 <(functions ext/vector/vector.so) <(functions "$installed"))" ]; then
    echo "note: the installed vector extension has functions this checkout's build lacks; left in place"
  else
    $sudo make -s -C ext/vector PG_CONFIG=$pg_config install >/dev/null
  fi
fi
