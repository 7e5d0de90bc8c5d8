#!/usr/bin/env bash
# The tutor's time to its first streamed byte, through studybase, against the mock provider's
# own (the same client asking the provider directly), in one run: the difference is what
# studybase adds (auth, the context query, the limits' statement, the embedding, hybrid_search
# over a 200-chunk material, the prompt, the provider connection, the first event written);
# the same for a course without chunks separates the retrieval's cost.
#   bench/ai/first_byte.sh [requests]       (default 300)
# Runs in a throwaway cluster (pg_virtualenv) with the optimised build in build/
# (scripts/build.sh build). Prints a Markdown table of medians (p10, p90) in ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${PGHOST:-}" ] || { scripts/deps.sh bench && scripts/build.sh build >/dev/null; }
n=${1:-300}
if [ -z "${PGHOST:-}" ]; then
  exec pg_virtualenv -t -v 15 "$0" "$@"
fi
. bench/ai/lib.sh
trap 'kill ${server_pid:-} ${mock_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT

start_mock fast
start_server 2 env SB_LLM_URL="$mock_url" SB_LLM_MODEL=bench SB_TUTOR_MAX_REQUESTS_PER_HOUR=0 \
  SB_TUTOR_MAX_TOKENS_PER_DAY=0
apikey=$(anon_key)
node bench/ai/first_byte.js "$url/functions/v1/tutor" 20 "$tutor_body" "apikey: $apikey" \
  "Authorization: Bearer $token" >/dev/null       # warm up: connections, prepared statements
node bench/ai/first_byte.js "$mock_url/v1/chat/completions" 20 "$mock_body" >/dev/null
provider=$(node bench/ai/first_byte.js "$mock_url/v1/chat/completions" "$n" "$mock_body")
tutor=$(node bench/ai/first_byte.js "$url/functions/v1/tutor" "$n" "$tutor_body" "apikey: $apikey" \
  "Authorization: Bearer $token")
empty=$(node bench/ai/first_byte.js "$url/functions/v1/tutor" "$n" "$empty_body" "apikey: $apikey" \
  "Authorization: Bearer $token")
provider2=$(node bench/ai/first_byte.js "$mock_url/v1/chat/completions" "$n" "$mock_body")
stop_server
stop_mock

field() { node -e "const r = JSON.parse(process.argv[1]); console.log(r['$2'].toFixed(2))" "$1"; }
echo "| path | requests | first byte median ms | p10 | p90 | not 200 |"
echo "| --- | --- | --- | --- | --- | --- |"
for row in "mock provider directly (before)|$provider" "tutor, course with 200 chunks|$tutor" \
    "tutor, course without chunks|$empty" "mock provider directly (after)|$provider2"; do
  name=${row%%|*}; r=${row#*|}
  echo "| $name | $n | $(field "$r" median) | $(field "$r" p10) | $(field "$r" p90) | $(node -e "console.log(JSON.parse(process.argv[1]).not200)" "$r") |"
done
added() { node -e "const a = JSON.parse(process.argv[1]), b = JSON.parse(process.argv[2]), c = JSON.parse(process.argv[3]);
  console.log((a.median - (b.median + c.median) / 2).toFixed(2))" "$1" "$provider" "$provider2"; }
echo
echo "Added by studybase (median minus the provider's own, the mean of its two medians):" \
  "$(added "$tutor") ms with 200 chunks to search, $(added "$empty") ms without"
