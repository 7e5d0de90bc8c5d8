# studybase serve: the HTTP core as any client sees it — health, JSON errors for unknown
# routes, CORS preflight and headers, request ids, the request log, clean shutdown.
# Needs STUDYBASE and DATABASE_URL. Speaks TAP.
set -u
n=0
check() { local desc=$1; shift; n=$((n + 1)); if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi; }

dir=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

SB_PORT=0 SB_DATA_DIR="$dir" "$STUDYBASE" serve >"$dir/out" 2>"$dir/log" &
pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^API URL: //p' "$dir/out")
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done

echo "1..12"
check "serve prints the API URL it listens on" [ -n "$url" ]
check "GET /health answers ok" bash -c "curl -fs '$url/health' | grep -q '\"status\":\"ok\"'"

headers=$(curl -s -D - -o "$dir/body" "$url/no/such/route")
check "an unknown route is a 404" grep -q "^HTTP/1.1 404" <<<"$headers"
check "with a JSON error body" grep -q '"error_code":"not_found"' "$dir/body"
check "every response carries a request id" grep -qi "^X-Request-Id: " <<<"$headers"
check "and allows any origin (CORS)" grep -qi "^Access-Control-Allow-Origin: \*" <<<"$headers"
check "and exposes Content-Range to browsers" grep -qi "^Access-Control-Expose-Headers:.*Content-Range" <<<"$headers"

preflight=$(curl -s -D - -o /dev/null -X OPTIONS "$url/rest/v1/courses" \
  -H "Origin: http://localhost:3000" -H "Access-Control-Request-Method: POST" \
  -H "Access-Control-Request-Headers: apikey, authorization, content-type, prefer")
check "a CORS preflight is answered 200" grep -q "^HTTP/1.1 200" <<<"$preflight"
check "and allows the headers supabase-js sends" grep -qi "^Access-Control-Allow-Headers: apikey, authorization, content-type, prefer" <<<"$preflight"

check "the log has one JSON line per request, with its status" \
  bash -c "grep -q '\"path\":\"/no/such/route\",\"status\":\"404\"' '$dir/log'"
check "the log never holds the apikey sent" bash -c "curl -s -o /dev/null -H 'apikey: secret-token-value' '$url/health'; ! grep -q secret-token-value '$dir/log'"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
check "SIGTERM stops the server cleanly (exit 0)" [ "$rc" -eq 0 ]
