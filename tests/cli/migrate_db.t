# The SQL under db/ as `studybase migrate` applies it: the platform files migrate a second
# database of the same cluster (roles are cluster-wide), and 004_rollback removes everything
# 001-003 created in the app schema while keeping the extensions and the platform schema.
# Uses two databases of its own next to DATABASE_URL's and drops them at the end. Speaks TAP.
set -u
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && printf '#   %s\n' "$2"; }
check() { local desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

first=${TEST_DB:-studybase_test}_db_first
second=${TEST_DB:-studybase_test}_db_second
url() { echo "${DATABASE_URL%/*}/$1"; }
sql() { psql "$(url "$1")" -XAtqc "$2"; }
cleanup() { dropdb --if-exists "$first" 2>/dev/null; dropdb --if-exists "$second" 2>/dev/null; }
trap cleanup EXIT
cleanup
createdb "$first" && createdb "$second"

echo "1..8"

DATABASE_URL=$(url "$first") "$STUDYBASE" migrate up >/dev/null 2>&1
check "up migrates a first database" [ $? -eq 0 ]
DATABASE_URL=$(url "$second") "$STUDYBASE" migrate up >/dev/null 2>&1
check "up migrates a second database of the same cluster (the roles exist already)" [ $? -eq 0 ]

DATABASE_URL=$(url "$first") "$STUDYBASE" migrate down >/dev/null 2>&1
check "down succeeds" [ $? -eq 0 ]
left=$(sql "$first" "select count(*) from pg_class c
                      where c.relnamespace = 'public'::regnamespace
                        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
                                        and d.objid = c.oid and d.deptype = 'e')")
check "down leaves no table, index or sequence in public ($left left)" [ "$left" = 0 ]
left=$(sql "$first" "select count(*) from pg_proc p
                      where p.pronamespace = 'public'::regnamespace
                        and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
                                        and d.objid = p.oid and d.deptype = 'e')")
check "down leaves no function of 002 in public ($left left)" [ "$left" = 0 ]
kept=$(sql "$first" "select string_agg(extname, ',' order by extname) from pg_extension
                      where extname in ('uuid-ossp', 'pgcrypto', 'vector', 'pg_trgm')")
check "down keeps the four extensions ($kept)" [ "$kept" = "pg_trgm,pgcrypto,uuid-ossp,vector" ]
kept=$(sql "$first" "select count(*) from pg_tables where schemaname in ('auth', 'storage')")
check "down keeps the platform's auth and storage tables (mail outbox included) and 006's file queue ($kept)" [ "$kept" = 7 ]

DATABASE_URL=$(url "$first") "$STUDYBASE" migrate up >/dev/null 2>&1
check "up after down migrates again" [ $? -eq 0 ]
