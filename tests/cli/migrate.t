# studybase migrate: up applies everything once, is a no-op the second time, refuses to run
# when an applied file changed, and down leaves a database on which up works again.
# Needs DATABASE_URL (an empty database) and STUDYBASE (the binary). Speaks TAP.
set -u
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && printf '#   %s\n' "$2"; }
check() { local desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }
sql() { psql "$DATABASE_URL" -XAtqc "$1"; }

echo "1..9"

out=$("$STUDYBASE" migrate up 2>&1)
check "up on an empty database succeeds" [ $? -eq 0 ]
applied=$(sql "select count(*) from studybase.schema_migrations")
check "up records every file it applied ($applied)" [ "$applied" -gt 0 ]

out=$("$STUDYBASE" migrate up 2>&1)
check "a second up applies nothing" grep -q "nothing to apply" <<<"$out"

status=$("$STUDYBASE" migrate status 2>&1)
check "status lists nothing pending" grep -q ", 0 pending, 0 changed" <<<"$status"

first=$(sql "select min(name) from studybase.schema_migrations")
recorded=$(sql "select checksum from studybase.schema_migrations where name = '$first'")
sql "update studybase.schema_migrations set checksum = 'edited' where name = '$first'"
out=$("$STUDYBASE" migrate up 2>&1)
rc=$?
check "up refuses to run when an applied file changed" [ $rc -ne 0 ]
check "the refusal names the changed file" grep -q "changed after it was applied" <<<"$out"
sql "update studybase.schema_migrations set checksum = '$recorded' where name = '$first'"

out=$("$STUDYBASE" migrate down 2>&1)
check "down succeeds" [ $? -eq 0 ]
left=$(sql "select count(*) from pg_tables where schemaname = 'public' and tablename in ('academic','personalized','courses','materials','chat_history')")
check "down drops the app tables" [ "$left" = 0 ]

"$STUDYBASE" migrate up >/dev/null 2>&1
tables=$(sql "select count(*) from pg_tables where schemaname = 'public' and tablename in ('academic','personalized','courses','materials','chat_history')")
check "up after down creates the five app tables again" [ "$tables" = 5 ]
