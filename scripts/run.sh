#!/usr/bin/env bash
# The README's run command: install, build, then `studybase dev` (private PostgreSQL on
# port 54322, migrations, API on port 54321). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
scripts/build.sh build
exec ./build/studybase dev
