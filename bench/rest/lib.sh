# Shared by bench/rest/throughput.sh and bench/rest/cost.sh (sourced inside pg_virtualenv, from
# the repository root): the bench database, a student with 50 courses of 2 materials and a
# token for them, the three scenarios, and starting/stopping a server.
STUDYBASE=$PWD/build/studybase
work=$(mktemp -d)
trap 'kill ${server_pid:-}  2>/dev/null || true; rm -rf "$work"' EXIT
createdb bench_rest
export DATABASE_URL="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/bench_rest"
"$STUDYBASE" migrate up >/dev/null
q() { psql -X -qAt "$DATABASE_URL" -c "$1"; }

# A student with 50 courses of 2 materials each, and a token for them.
secret=$(openssl rand -hex 32)
uid=$(q "INSERT INTO auth.users (email) VALUES ('bench@example.com') RETURNING id")
q "INSERT INTO courses (user_id, name) SELECT '$uid', 'course ' || i FROM generate_series(1, 50) i" >/dev/null
q "INSERT INTO materials (course_id, name, file_path, file_type, file_size)
   SELECT c.id, 'm' || i || '.pdf', c.user_id || '/' || c.id || '/m' || i || '.pdf', 'application/pdf', 1000 * i FROM courses c, generate_series(1, 2) i" >/dev/null
course=$(q "SELECT id FROM courses ORDER BY name LIMIT 1")
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
claims="{\"sub\":\"$uid\",\"role\":\"authenticated\",\"aud\":\"authenticated\",\"iat\":$now,\"exp\":$((now + 86400))}"
head=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
body=$(printf '%s' "$claims" | b64url)
token="$head.$body.$(printf '%s.%s' "$head" "$body" | openssl dgst -sha256 -hmac "$secret" -binary | b64url)"

start_server() {   # $1 = worker threads; further arguments: a command to run the server under
  local threads=$1; shift
  SB_PORT=0 SB_THREADS=$threads SB_DATA_DIR=$work SB_JWT_SECRET=$secret "$@" "$STUDYBASE" serve >"$work/out" 2>"$work/log" &
  server_pid=$!
  until grep -q 'API URL' "$work/out"; do sleep 0.05; done
  url=$(sed -n 's/^API URL: //p' "$work/out")
}
stop_server() { kill $server_pid; wait $server_pid || true; : >"$work/out"; }
anon_key() { SB_DATA_DIR=$work SB_JWT_SECRET=$secret "$STUDYBASE" status -o env | sed -n 's/^ANON_KEY=//p'; }

insert_body="{\"user_id\":\"$uid\",\"name\":\"bench insert\"}"
scenarios=(get_one list_50 insert_one)
declare -A path method params
path[get_one]="courses?id=eq.$course&select=*";      method[get_one]=GET;  params[get_one]="p1=$course"
path[insert_one]="courses";                           method[insert_one]=POST; params[insert_one]="p1=$insert_body"
path[list_50]="courses?select=*,materials(*)&limit=50"; method[list_50]=GET; params[list_50]="p1=50"

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$insert_body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "return=representation"
LUA

run_wrk() {   # $1 = scenario, $2 = seconds, $3 = connections; output in $work/$1.wrk
  local lua=(); [ "${method[$1]}" = POST ] && lua=(-s "$work/post.lua")
  wrk -t 2 -c "$3" -d "$2s" --latency "${lua[@]}" -H "apikey: $apikey" -H "Authorization: Bearer $token" \
    "$url/rest/v1/${path[$1]}" >"$work/$1.wrk"
}
wrk_requests() { awk '/requests in/ { print $1 }' "$work/$1.wrk"; }
