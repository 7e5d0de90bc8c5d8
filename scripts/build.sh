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
  pg_config=/usr/lib/postgresql/15/bin/pg_config
  make -s -C ext/vector PG_CONFIG=$pg_config
  installed="$($pg_config --pkglibdir)/vector.so"
  # Several checkouts on one machine share the system's extension folder: one that was built
  # earlier does not replace a newer build another checkout installed (make -C ext/vector
  # install forces it).
  if [ -f "$installed" ] && ! cmp -s ext/vector/vector.so "$installed" && [ "$installed" -nt ext/vector/vector.so ]; then
    echo "note: the installed vector extension is newer than this checkout's build; left in place"
  else
    $sudo make -s -C ext/vector PG_CONFIG=$pg_config install >/dev/null
  fi
fi
