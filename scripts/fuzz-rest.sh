#!/usr/bin/env bash
# Fuzzes the data API's URL parser and SQL generator with libFuzzer (clang, ASan + UBSan):
#   scripts/fuzz-rest.sh [seconds]     (default 60)
# Builds build-fuzz/fuzz_rest_parse from the few sources it needs, runs it on a scratch copy of
# tests/fuzz/corpus/rest_parse, then merges new interesting inputs back into that corpus
# (minimised), so a commit keeps them. Not part of `make test` (which replays the corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${PGHOST:-}" ] || scripts/deps.sh bench
seconds=${1:-60}
mkdir -p build-fuzz
clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Isrc -I/usr/include/postgresql \
  tests/fuzz/fuzz_rest_parse.c src/rest/parse.c src/rest/plan.c src/rest/plan_request.c src/rest/plan_rpc.c \
  src/rest/query.c src/rest/query_parts.c src/rest/sql.c src/rest/errors.c src/rest/schema_cache.c \
  src/base/*.c src/core/fiber.c src/core/loop.c src/auth/jwt.c src/util/base64url.c src/util/sha256.c src/util/hex.c \
  src/db/conn.c src/http/request.c src/util/arena.c src/util/buf.c src/util/fdio.c src/util/log.c src/util/thread.c \
  -lpq -ljansson -lmicrohttpd -lcrypto -lpthread -o build-fuzz/fuzz_rest_parse
corpus=tests/fuzz/corpus/rest_parse
scratch=build-fuzz/corpus
rm -rf "$scratch" && mkdir -p "$scratch" && cp "$corpus"/* "$scratch"/
build-fuzz/fuzz_rest_parse -max_total_time="$seconds" -max_len=2048 -timeout=5 "$scratch"
build-fuzz/fuzz_rest_parse -merge=1 "$corpus" "$scratch"
echo "corpus: $(ls "$corpus" | wc -l) inputs in $corpus"
