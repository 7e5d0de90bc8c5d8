#!/usr/bin/env bash
# Benchmark: the materials pipeline (issue #13) against pdftotext alone, on the same PDF.
#   ours:       read the file, extract every page's text through poppler-glib (src/ai/extract.c),
#               cut it into chunks (src/ai/chunk.c), embed every chunk with the built-in lexical
#               embedder (src/ai/embed_lexical.c): bench/ai/extract_bench.c, compiled here with -O2
#               from the server's own sources (no sanitizers), one process for all runs;
#   pdftotext:  poppler-utils' pdftotext FILE /dev/null, one process per run (its start-up counted).
# The PDF: PAGES pages (default 200) of generated English-like text, 40 lines of 12 words each
# (tests/unit/ai/minipdf.c writes it). RUNS runs of each (default 7), interleaved per round;
# prints the medians in pages/s and their ratio. Not part of `make test`.
#   bench/ai/extract.sh [PAGES [RUNS]]     (needs libpoppler-glib-dev, poppler-utils: scripts/deps.sh bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
PAGES=${1:-200}
RUNS=${2:-7}
command -v pdftotext >/dev/null || { echo "pdftotext not found: scripts/deps.sh bench installs poppler-utils" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -Itests/unit/ai $(pkg-config --cflags poppler-glib libpq) \
  bench/ai/extract_bench.c src/ai/extract.c src/ai/pdf_child.c src/ai/chunk.c src/ai/embed_lexical.c src/util/arena.c \
  src/util/child.c src/util/log.c src/util/utf8.c src/util/fdio.c src/util/thread.c -pthread \
  tests/unit/ai/minipdf.c -o "$work/extract_bench" $(pkg-config --libs poppler-glib) -lunistring -lm
"$work/extract_bench" gen "$work/bench.pdf" "$PAGES"
"$work/extract_bench" run "$work/bench.pdf" 1 >/dev/null                 # warm the page cache
pdftotext "$work/bench.pdf" /dev/null

ours=() child=() theirs=()
for _ in $(seq "$RUNS"); do
  line=$("$work/extract_bench" run "$work/bench.pdf" 1)
  ours+=("$(awk '{ print $6 }' <<<"$line")")
  cline=$("$work/extract_bench" run-child "$work/bench.pdf" 1)
  child+=("$(awk '{ print $6 }' <<<"$cline")")
  detail=$line
  start=$(date +%s%N)
  pdftotext "$work/bench.pdf" /dev/null
  end=$(date +%s%N)
  theirs+=("$(awk -v ns=$((end - start)) 'BEGIN { printf "%.4f", ns / 1e9 }')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
m_ours=$(median "${ours[@]}")
m_theirs=$(median "${theirs[@]}")
m_child=$(median "${child[@]}")
echo "PDF: $PAGES pages, $(stat -c %s "$work/bench.pdf") bytes; $RUNS runs each; last run of ours: $detail"
awk -v p="$PAGES" -v o="$m_ours" -v c="$m_child" -v t="$m_theirs" 'BEGIN {
  printf "ours, PDF read in-process (before):     median %.4f s = %.0f pages/s\n", o, p / o
  printf "ours, PDF read by a child (after):      median %.4f s = %.0f pages/s (+%.4f s a PDF)\n", c, p / c, c - o
  printf "pdftotext alone:                        median %.4f s = %.0f pages/s\n", t, p / t
  printf "ours / pdftotext throughput: %.2f\n", t / o
}'
