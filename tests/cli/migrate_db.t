# The SQL under db/ as `studybase migrate` applies it: the platform files migrate a second
# database of the same cluster (roles are cluster-wide), 004_rollback removes everything
# 001-003 created in the app schema while keeping the extensions (in schema extensions) and the
# platform schema, and a database migrated by an older studybase (extensions in public) gets
# them moved into schema extensions with its data and indexes intact.
# Uses three databases of its own next to DATABASE_URL's and drops them at the end. Speaks TAP.
set -u
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && printf '#   %s\n' "$2"; }
check() { local desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

first=${TEST_DB:-studybase_test}_db_first
second=${TEST_DB:-studybase_test}_db_second
older=${TEST_DB:-studybase_test}_db_older
url() { echo "${DATABASE_URL%/*}/$1"; }
sql() { psql "$(url "$1")" -XAtqc "$2"; }
cleanup() { for db in "$first" "$second" "$older"; do dropdb --if-exists "$db" 2>/dev/null; done; }
trap cleanup EXIT
cleanup
createdb "$first" && createdb "$second" && createdb "$older"
extensions_of() {
    sql "$1" "select string_agg(extname || '@' || extnamespace::regnamespace, ',' order by extname)
              from pg_extension where extname in ('uuid-ossp', 'pgcrypto', 'vector', 'pg_trgm')"
}
in_extensions="pg_trgm@extensions,pgcrypto@extensions,uuid-ossp@extensions,vector@extensions"

echo "1..16"

DATABASE_URL=$(url "$first") "$STUDYBASE" migrate up >/dev/null 2>&1
check "up migrates a first database" [ $? -eq 0 ]
DATABASE_URL=$(url "$second") "$STUDYBASE" migrate up >/dev/null 2>&1
check "up migrates a second database of the same cluster (the roles exist already)" [ $? -eq 0 ]

# jobs of both embedded tables, as if their rows were waiting for the embedding worker
sql "$first" "select ai.enqueue_embedding('chat_history', gen_random_uuid()),
                     ai.enqueue_embedding('material_chunks', gen_random_uuid())" >/dev/null
DATABASE_URL=$(url "$first") "$STUDYBASE" migrate down >/dev/null 2>&1
check "down succeeds" [ $? -eq 0 ]
left=$(sql "$first" "select count(*) from ai.embedding_jobs")
check "down leaves no embedding job (chats' and chunks': their rows are gone) ($left left)" [ "$left" = 0 ]
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
kept=$(extensions_of "$first")
check "down keeps the four extensions in schema extensions ($kept)" [ "$kept" = "$in_extensions" ]
kept=$(sql "$first" "select count(*) from pg_tables where schemaname in ('auth', 'storage')")
check "down keeps the platform's auth and storage tables (mail outbox included) and 006's file queue ($kept)" [ "$kept" = 7 ]

DATABASE_URL=$(url "$first") "$STUDYBASE" migrate up >/dev/null 2>&1
check "up after down migrates again" [ $? -eq 0 ]

# A database as an older studybase left it: everything applied except platform/005, the four
# extensions in public under the seed's tables, no schema extensions, no search path of its own.
# (Made from a current one by undoing what platform/005 does; the OIDs are what ties tables,
# defaults and indexes to the extensions, and those are the same either way.)
DATABASE_URL=$(url "$older") "$STUDYBASE" migrate up >/dev/null 2>&1
sql "$older" "alter extension \"uuid-ossp\" set schema public; alter extension pgcrypto set schema public;
              alter extension vector set schema public; alter extension pg_trgm set schema public;
              drop schema extensions; alter database \"$older\" reset search_path;
              delete from studybase.schema_migrations where name = 'platform/005_extensions.sql';
              insert into auth.users (id, email) values ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
              insert into courses (id, user_id, name)
                values ('cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'c');
              insert into chat_history (course_id, embedding)
                select 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', array_fill(1, array[384])::vector;"
before=$(extensions_of "$older")
check "the older database has the extensions in public ($before)" \
    [ "$before" = "pg_trgm@public,pgcrypto@public,uuid-ossp@public,vector@public" ]

out=$(DATABASE_URL=$(url "$older") "$STUDYBASE" migrate up 2>&1)
check "up on the older database applies only platform/005_extensions.sql" \
    [ "$out" = "$(printf 'applied platform/005_extensions.sql\ndatabase is up to date (1 applied)')" ]
after=$(extensions_of "$older")
check "which moves the four extensions into schema extensions ($after)" [ "$after" = "$in_extensions" ]
left=$(sql "$older" "select count(*) from pg_proc p join pg_depend d on d.classid = 'pg_proc'::regclass
                      and d.objid = p.oid and d.deptype = 'e' where p.pronamespace = 'public'::regnamespace")
check "no function of an extension is left in public ($left)" [ "$left" = 0 ]
found=$(sql "$older" "insert into chat_history (course_id, embedding)
                        select 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', array_fill(1, array[384])::vector;
                      select count(*) from match_chat_history(array_fill(1, array[384])::vector, 0.99, 10)")
check "the seed's tables and match_chat_history work in a new session: id default, vector, <=> ($found)" \
    [ "$found" = 2 ]
idx=$(sql "$older" "set enable_seqscan = off; set vector.enable_topn_scan = off;
                    explain (costs off) select id from chat_history
                    order by embedding <=> array_fill(1, array[384])::vector limit 1" | grep -c chat_history_embedding_idx)
check "the seed's HNSW index still serves the moved <=> ($idx)" [ "$idx" = 1 ]
DATABASE_URL=$(url "$older") "$STUDYBASE" migrate down >/dev/null 2>&1 &&
    DATABASE_URL=$(url "$older") "$STUDYBASE" migrate up >/dev/null 2>&1
check "down and up work on the moved database" [ $? -eq 0 ]
