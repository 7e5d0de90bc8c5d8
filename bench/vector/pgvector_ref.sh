# pgvector_ref.sh: what the benchmarks that measure this checkout's `vector` against pgvector
# share (sourced, after `set -euo pipefail`, with $here set to bench/vector):
#   - the check that PG_CONFIG is a PRIVATE PostgreSQL copy (they install extensions into it);
#   - $bindir, as_pg (run as postgres when root), and $work / $data: a temporary folder for
#     the cluster, stopped and removed on exit;
#   - build_pgvector NAME: pgvector 0.8.0 from Debian's source tarball (SHA-256 checked, cached
#     where ext/vector/test/pgvector-regress.sh keeps it), built in $work and installed renamed
#     to NAME (extension, control file and module; its parallel builds name their library
#     too), so that it sits next to ours in databases of its own. Nothing of pgvector's is
#     kept in this repository.

PGV_URL=http://deb.debian.org/debian/pool/main/p/pgvector/pgvector_0.8.0.orig.tar.gz
PGV_SHA256=867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0
pgv_cache=${PGVECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/studybase}

if [ -z "${PG_CONFIG:-}" ] || [ "$PG_CONFIG" = /usr/lib/postgresql/15/bin/pg_config ]; then
  echo "set PG_CONFIG to a private PostgreSQL copy's pg_config (this script installs extensions)" >&2
  exit 2
fi
bindir=$("$PG_CONFIG" --bindir)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

work=$(mktemp -d)
chmod 755 "$work"
data=$work/pgdata
cleanup() {
  as_pg "$bindir/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

build_pgvector() {
  local name=$1 tarball=$pgv_cache/pgvector_0.8.0.orig.tar.gz src=$work/pgvector-0.8.0
  mkdir -p "$pgv_cache"
  if ! echo "$PGV_SHA256  $tarball" | sha256sum -c --status 2>/dev/null; then
    curl -fsSL -A "Debian APT-HTTP/1.3" -o "$tarball.part" "$PGV_URL"
    mv "$tarball.part" "$tarball"
  fi
  echo "$PGV_SHA256  $tarball" | sha256sum -c --status || { echo "pgvector tarball: SHA-256 mismatch" >&2; exit 1; }
  tar -xzf "$tarball" -C "$work"
  sed -i -e "s/^EXTENSION = vector\$/EXTENSION = $name/" -e "s/^MODULE_big = vector\$/MODULE_big = $name/" \
      -e 's/^DATA = .*/DATA =/' -e 's/^HEADERS = .*/HEADERS =/' "$src/Makefile"
  sed -e "s|\\\$libdir/vector|\$libdir/$name|" "$src/vector.control" >"$src/$name.control"
  cp "$src/sql/vector.sql" "$src/sql/$name.sql"
  sed -i "s/CreateParallelContext(\"vector\"/CreateParallelContext(\"$name\"/" "$src/src/hnswbuild.c" "$src/src/ivfbuild.c"
  for file in hnswbuild.c ivfbuild.c; do
    grep -q "CreateParallelContext(\"$name\"" "$src/src/$file" || { echo "pgvector: rename failed" >&2; exit 1; }
  done
  make -s -C "$src" PG_CONFIG="$PG_CONFIG" -j2 >/dev/null 2>&1
  make -s -C "$src" PG_CONFIG="$PG_CONFIG" install >/dev/null
}
