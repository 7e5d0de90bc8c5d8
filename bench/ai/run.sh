#!/usr/bin/env bash
# bench/ai/run.sh: retrieval quality of the built-in lexical embedder against plain BM25 on
# the labelled set in this folder (passages.tsv, queries.tsv), in the same run; then the
# embedder's speed. No database, no network. Results: bench/ai/RESULTS.md.
#   bench/ai/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build
cc -O2 -Wall -Isrc -I"$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)" \
  -o build/bench_ai_retrieval bench/ai/retrieval.c src/ai/embed_lexical.c -lm
build/bench_ai_retrieval bench/ai/passages.tsv bench/ai/queries.tsv
