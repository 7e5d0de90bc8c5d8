#!/usr/bin/env bash
# Installs what studybase needs on Debian 12, and only what is missing.
#   scripts/deps.sh run    build + run: compiler, libraries, PostgreSQL 15 and its server headers
#   scripts/deps.sh test   the above + test tools (cmocka, pgTAP, pg_prove, Node.js) + npm ci
#   scripts/deps.sh bench  build + run + benchmark and fuzzing tools (wrk, clang for libFuzzer, perf;
#                          h2o's evloop library and libuv for bench/rest/ceiling.c's HTTP fronts;
#                          poppler-utils' pdftotext for bench/ai/extract.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

run_packages=(
  gcc make pkg-config meson ninja-build
  libmicrohttpd-dev libpq-dev libjansson-dev libcrypt-dev libssl-dev
  libcurl4-openssl-dev libmagic-dev libunistring-dev libpoppler-glib-dev
  postgresql-15 postgresql-server-dev-15 postgresql-common
)
test_packages=(
  libcmocka-dev postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl curl
)

bench_packages=(
  wrk clang openssl linux-perf libh2o-evloop-dev libuv1-dev poppler-utils
)

wanted=("${run_packages[@]}")
[ "${1:-run}" = bench ] && wanted+=("${bench_packages[@]}")
if [ "${1:-run}" = test ]; then
  wanted+=("${test_packages[@]}")
  command -v node >/dev/null || wanted+=(nodejs)
  command -v npm >/dev/null || wanted+=(npm)
fi

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-run}" = test ] && [ -f tests/api/package-lock.json ]; then
  (cd tests/api && npm ci --no-audit --no-fund --loglevel=error)
fi
