#!/usr/bin/env bash
# pgvector-regress.sh: runs pgvector 0.8.0's own regression files (its test/sql, compared with
# its test/expected, unchanged) against OUR `vector` extension, installed in the PostgreSQL
# whose pg_config is $PG_CONFIG, on a running cluster.
#
# usage: ext/vector/test/pgvector-regress.sh [TEST...]     (default: every file of pgvector's)
#   connection: PGHOST, PGPORT, PGUSER as for psql (a superuser: pg_regress creates and drops
#   the database contrib_regression and creates the extension there).
#   PG_CONFIG   pg_config of the PostgreSQL holding the extension (default: the system's 15)
#   PGVECTOR_CACHE  where the downloaded tarball is kept (default: ~/.cache/studybase)
#
# The sources come from Debian's archive (pgvector's upstream tarball, as Debian ships it),
# checked against a fixed SHA-256, and are never copied into this repository. Prints one line
# per file (ok / FAILED) and leaves the outputs and regression.diffs in $PGVECTOR_OUT
# (default: a new temporary directory, printed at the end). Exit status: 0 if every file ran
# passed, 1 otherwise. README.md lists the files expected to differ, and why.
set -euo pipefail

url=http://deb.debian.org/debian/pool/main/p/pgvector/pgvector_0.8.0.orig.tar.gz
sha256=867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0
cache=${PGVECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/studybase}
tarball=$cache/pgvector_0.8.0.orig.tar.gz
pg_config=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}

has_expected_hash() {
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha256" ]
}

# Downloads the tarball once; a cached copy is used only while its hash matches.
fetch_tarball() {
  mkdir -p "$cache"
  has_expected_hash "$tarball" && return 0
  # deb.debian.org answers this client's default user agent with 403 here; APT's passes.
  curl -fsSL -A "Debian APT-HTTP/1.3" -o "$tarball.part" "$url"
  if ! has_expected_hash "$tarball.part"; then
    rm -f "$tarball.part"
    echo "pgvector-regress: $url does not have SHA-256 $sha256" >&2
    exit 2
  fi
  mv "$tarball.part" "$tarball"
}

fetch_tarball
out=${PGVECTOR_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/pgvector-regress.XXXXXX")}
mkdir -p "$out"
tar -xzf "$tarball" -C "$out"
src=$out/pgvector-0.8.0/test

if [ $# -gt 0 ]; then
  tests=("$@")
else
  tests=()
  for f in "$src"/sql/*.sql; do tests+=("$(basename "$f" .sql)"); done
fi

bindir=$("$pg_config" --bindir)
pg_regress=$("$pg_config" --pkglibdir)/pgxs/src/test/regress/pg_regress

# copy.sql writes results/*.bin relative to psql's working directory: run from $out, as
# pgvector's `make installcheck` runs from its source directory.
cd "$out"
status=0
"$pg_regress" --inputdir="$src" --outputdir="$out" --bindir="$bindir" \
  --load-extension=vector --dbname=contrib_regression "${tests[@]}" > "$out/pg_regress.log" 2>&1 || status=1
grep -E '^(test| +[a-z_]+ +\.\.\.|ok|not ok)' "$out/pg_regress.log" | sed -E 's/ +[0-9]+ ms$//' || true
tail -n 3 "$out/pg_regress.log"
echo "outputs and regression.diffs: $out"
exit $status
