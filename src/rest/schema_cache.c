/*
 * schema_cache: one catalog query (the whole schema as one JSON document), turned into arrays;
 * a listener thread with its own connection that reloads on NOTIFY pgrst and SIGHUP.
 */
#include "rest/schema_cache.h"

#include "db/conn.h"

#include "util/log.h"

#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* The exposed schema in one round trip. Names come back as the catalog spells them. Functions
 * are the application's own: none that belongs to an extension (pg_depend deptype 'e'). */
static const char catalog_sql[] =
    "WITH rels AS ("
    "  SELECT c.oid, c.relname, c.relkind FROM pg_class c"
    "  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r','v','m','f','p'))"
    " SELECT json_build_object("
    " 'tables', (SELECT coalesce(json_agg(json_build_object("
    "     'name', r.relname, 'view', r.relkind IN ('v','m'),"
    "     'columns', (SELECT coalesce(json_agg(json_build_object('name', a.attname,"
    "                   'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,"
    "                   'has_default', a.atthasdef, 'default', pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attnum), '[]')"
    "                 FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    "                 WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped),"
    "     'pkey', (SELECT coalesce(json_agg(a.attname ORDER BY k.ord), '[]')"
    "              FROM pg_constraint p CROSS JOIN unnest(p.conkey) WITH ORDINALITY k(num, ord)"
    "              JOIN pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = k.num"
    "              WHERE p.conrelid = r.oid AND p.contype = 'p')) ORDER BY r.relname), '[]') FROM rels r),"
    " 'fkeys', (SELECT coalesce(json_agg(json_build_object('name', f.conname, 'from', s.relname, 'to', d.relname,"
    "     'from_cols', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(f.conkey) WITH ORDINALITY k(num, ord)"
    "                   JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.num),"
    "     'to_cols', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(f.confkey) WITH ORDINALITY k(num, ord)"
    "                 JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.num))"
    "     ORDER BY f.conname), '[]')"
    "   FROM pg_constraint f JOIN rels s ON s.oid = f.conrelid JOIN rels d ON d.oid = f.confrelid"
    "   WHERE f.contype = 'f'),"
    " 'checks', (SELECT coalesce(json_agg(json_build_object('table', r.relname, 'name', k.conname,"
    "     'message', obj_description(k.oid, 'pg_constraint'))), '[]')"
    "   FROM pg_constraint k JOIN rels r ON r.oid = k.conrelid"
    "   WHERE k.contype = 'c' AND obj_description(k.oid, 'pg_constraint') IS NOT NULL),"
    " 'functions', (SELECT coalesce(json_agg(json_build_object('name', p.proname, 'set', p.proretset,"
    "     'volatility', p.provolatile::text, 'defaults', p.pronargdefaults,"
    "     'typtype', t.typtype::text, 'type', format_type(p.prorettype, NULL),"
    "     'table', CASE WHEN c.relnamespace = 'public'::regnamespace THEN c.relname END,"
    "     'arg_names', p.proargnames, 'arg_modes', p.proargmodes::text[],"
    "     'arg_types', (SELECT json_agg(format_type(u.t, NULL) ORDER BY u.o)"
    "                   FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY u(t, o)))), '[]')"
    "   FROM pg_proc p JOIN pg_type t ON t.oid = p.prorettype LEFT JOIN pg_class c ON c.oid = t.typrelid"
    "   WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f'"
    "     AND t.typname NOT IN ('trigger', 'event_trigger', 'internal')"
    "     AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass"
    "                     AND e.objid = p.oid AND e.deptype = 'e'))"
    " )::text";

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct sb_schema_cache *current;

/* ---- building ------------------------------------------------------------------------- */

static const char *str(struct sb_arena *arena, json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return sb_arena_strdup(arena, s ? s : "");
}

static const char **string_list(struct sb_arena *arena, json_t *array, int *count)
{
    *count = (int)json_array_size(array);
    const char **out = sb_arena_alloc(arena, sizeof *out * (size_t)(*count + 1));
    for (int i = 0; i < *count; i++) {
        const char *s = json_string_value(json_array_get(array, (size_t)i));
        out[i] = sb_arena_strdup(arena, s ? s : "");
    }
    return out;
}

static void build_table(struct sb_arena *arena, json_t *j, struct sb_cache_table *t)
{
    t->name = str(arena, j, "name");
    t->is_view = json_is_true(json_object_get(j, "view"));
    json_t *cols = json_object_get(j, "columns");
    t->column_count = (int)json_array_size(cols);
    t->columns = sb_arena_alloc(arena, sizeof *t->columns * (size_t)(t->column_count + 1));
    for (int i = 0; i < t->column_count; i++) {
        json_t *c = json_array_get(cols, (size_t)i);
        t->columns[i].name = str(arena, c, "name");
        t->columns[i].type = str(arena, c, "type");
        t->columns[i].not_null = json_is_true(json_object_get(c, "not_null"));
        t->columns[i].has_default = json_is_true(json_object_get(c, "has_default"));
        const char *def = json_string_value(json_object_get(c, "default"));
        t->columns[i].default_sql = def ? sb_arena_strdup(arena, def) : NULL;
    }
    t->pkey = string_list(arena, json_object_get(j, "pkey"), &t->pkey_count);
}

static bool arg_is_input(const char *mode)
{
    return strcmp(mode, "i") == 0 || strcmp(mode, "b") == 0 || strcmp(mode, "v") == 0;
}

/* The TABLE(...) columns of a function (its 't' arguments), as a pseudo-table. */
static const struct sb_cache_table *function_result_table(struct sb_arena *arena, const char *name, json_t *args)
{
    struct sb_cache_table *t = sb_arena_alloc(arena, sizeof *t);
    t->name = name;
    t->is_function_result = true;
    t->columns = sb_arena_alloc(arena, sizeof *t->columns * (json_array_size(args) + 1));
    for (size_t i = 0; i < json_array_size(args); i++) {
        json_t *a = json_array_get(args, i);
        const char *mode = json_string_value(json_object_get(a, "mode"));
        if (mode && (strcmp(mode, "t") == 0 || strcmp(mode, "o") == 0 || strcmp(mode, "b") == 0)) {
            struct sb_cache_column *c = &t->columns[t->column_count++];
            c->name = str(arena, a, "name");
            c->type = str(arena, a, "type");
        }
    }
    return t;
}

/* The catalog's three parallel arrays (proargnames, proargmodes, all argument types) as one
 * array of {name, type, mode} objects; a missing mode array means all are inputs. */
static json_t *zip_arguments(json_t *fn)
{
    json_t *names = json_object_get(fn, "arg_names"), *modes = json_object_get(fn, "arg_modes");
    json_t *types = json_object_get(fn, "arg_types");
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(types); i++) {
        const char *name = json_string_value(json_array_get(names, i));
        const char *mode = json_string_value(json_array_get(modes, i));
        json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "name", name ? name : "", "type",
                                             json_string_value(json_array_get(types, i)), "mode", mode ? mode : "i"));
    }
    return out;
}

static void build_function(struct sb_schema_cache *cache, json_t *j, struct sb_cache_function *f)
{
    struct sb_arena *arena = cache->arena;
    f->name = str(arena, j, "name");
    f->returns_set = json_is_true(json_object_get(j, "set"));
    const char *vol = json_string_value(json_object_get(j, "volatility"));
    f->volatility = vol && *vol ? vol[0] : 'v';
    json_t *args = zip_arguments(j);
    f->args = sb_arena_alloc(arena, sizeof *f->args * (json_array_size(args) + 1));
    int outputs = 0;
    for (size_t i = 0; i < json_array_size(args); i++) {
        json_t *a = json_array_get(args, i);
        const char *mode = json_string_value(json_object_get(a, "mode"));
        if (!mode || !arg_is_input(mode) || strcmp(mode, "b") == 0)
            outputs++;
        if (!mode || !arg_is_input(mode))
            continue;
        f->args[f->arg_count].name = str(arena, a, "name");
        f->args[f->arg_count].type = str(arena, a, "type");
        f->arg_count++;
    }
    int defaults = (int)json_integer_value(json_object_get(j, "defaults"));
    for (int i = f->arg_count - defaults; i < f->arg_count; i++)
        if (i >= 0)
            f->args[i].has_default = true;

    const char *typtype = json_string_value(json_object_get(j, "typtype"));
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *table = json_string_value(json_object_get(j, "table"));
    if (type && strcmp(type, "void") == 0) {
        f->returns = SB_RETURNS_VOID;
    } else if (typtype && strcmp(typtype, "c") == 0 && table) {
        f->returns = SB_RETURNS_ROWS;
        f->result = sb_cache_table(cache, table);
        if (!f->result)
            f->returns = SB_RETURNS_SCALAR;
    } else if (type && strcmp(type, "record") == 0 && outputs > 0) {
        f->returns = SB_RETURNS_ROWS;
        f->result = function_result_table(arena, f->name, args);
    } else {
        f->returns = SB_RETURNS_SCALAR;
    }
    json_decref(args);
}

static void build_fkey(struct sb_schema_cache *cache, json_t *j, struct sb_cache_fkey *k)
{
    struct sb_arena *arena = cache->arena;
    k->name = str(arena, j, "name");
    k->from = sb_cache_table(cache, json_string_value(json_object_get(j, "from")));
    k->to = sb_cache_table(cache, json_string_value(json_object_get(j, "to")));
    int n2;
    k->from_cols = string_list(arena, json_object_get(j, "from_cols"), &k->count);
    k->to_cols = string_list(arena, json_object_get(j, "to_cols"), &n2);
    if (n2 != k->count)
        k->count = n2 < k->count ? n2 : k->count;
}

static struct sb_schema_cache *build_cache(json_t *doc)
{
    struct sb_schema_cache *cache = calloc(1, sizeof *cache);
    cache->arena = sb_arena_new();
    struct sb_arena *arena = cache->arena;

    json_t *tables = json_object_get(doc, "tables");
    cache->table_count = (int)json_array_size(tables);
    cache->tables = sb_arena_alloc(arena, sizeof *cache->tables * (size_t)(cache->table_count + 1));
    for (int i = 0; i < cache->table_count; i++)
        build_table(arena, json_array_get(tables, (size_t)i), &cache->tables[i]);

    json_t *fkeys = json_object_get(doc, "fkeys");
    cache->fkeys = sb_arena_alloc(arena, sizeof *cache->fkeys * (json_array_size(fkeys) + 1));
    for (size_t i = 0; i < json_array_size(fkeys); i++) {
        struct sb_cache_fkey *k = &cache->fkeys[cache->fkey_count];
        build_fkey(cache, json_array_get(fkeys, i), k);
        if (k->from && k->to && k->count > 0)
            cache->fkey_count++;
    }

    json_t *checks = json_object_get(doc, "checks");
    cache->check_count = (int)json_array_size(checks);
    cache->checks = sb_arena_alloc(arena, sizeof *cache->checks * (size_t)(cache->check_count + 1));
    for (int i = 0; i < cache->check_count; i++) {
        json_t *c = json_array_get(checks, (size_t)i);
        cache->checks[i].table = str(arena, c, "table");
        cache->checks[i].name = str(arena, c, "name");
        cache->checks[i].message = str(arena, c, "message");
    }

    json_t *functions = json_object_get(doc, "functions");
    cache->function_count = (int)json_array_size(functions);
    cache->functions = sb_arena_alloc(arena, sizeof *cache->functions * (size_t)(cache->function_count + 1));
    for (int i = 0; i < cache->function_count; i++)
        build_function(cache, json_array_get(functions, (size_t)i), &cache->functions[i]);
    return cache;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct sb_schema_cache *sb_schema_cache_load(PGconn *conn, const char **error)
{
    double started = now_ms();
    PGresult *res = PQexec(conn, catalog_sql);
    double queried = now_ms();
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        *error = "the catalog query failed";
        PQclear(res);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
    PQclear(res);
    if (!doc) {
        *error = "the catalog query returned invalid JSON";
        return NULL;
    }
    struct sb_schema_cache *cache = build_cache(doc);
    json_decref(doc);
    cache->load_ms = now_ms() - started;
    cache->query_ms = queried - started;
    return cache;
}

void sb_schema_cache_free(struct sb_schema_cache *cache)
{
    if (!cache)
        return;
    sb_arena_free(cache->arena);
    free(cache);
}

/* ---- publishing ----------------------------------------------------------------------- */

void sb_schema_cache_publish(struct sb_schema_cache *cache)
{
    pthread_mutex_lock(&lock);
    struct sb_schema_cache *old = current;
    current = cache;
    cache->refs = 1;               /* the published reference */
    bool free_old = old && --old->refs == 0;
    pthread_mutex_unlock(&lock);
    if (free_old)
        sb_schema_cache_free(old);
}

const struct sb_schema_cache *sb_schema_cache_acquire(void)
{
    pthread_mutex_lock(&lock);
    struct sb_schema_cache *c = current;
    if (c)
        c->refs++;
    pthread_mutex_unlock(&lock);
    return c;
}

void sb_schema_cache_release(const struct sb_schema_cache *cache)
{
    if (!cache)
        return;
    struct sb_schema_cache *c = (struct sb_schema_cache *)cache;
    pthread_mutex_lock(&lock);
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&lock);
    if (last)
        sb_schema_cache_free(c);
}

/* ---- look-ups ----------------------------------------------------------------------------- */

const struct sb_cache_table *sb_cache_table(const struct sb_schema_cache *cache, const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < cache->table_count; i++)
        if (strcmp(cache->tables[i].name, name) == 0)
            return &cache->tables[i];
    return NULL;
}

const struct sb_cache_column *sb_cache_column(const struct sb_cache_table *table, const char *name)
{
    for (int i = 0; i < table->column_count; i++)
        if (strcmp(table->columns[i].name, name) == 0)
            return &table->columns[i];
    return NULL;
}

bool sb_cache_is_key_column(const struct sb_cache_table *table, const char *name)
{
    for (int i = 0; i < table->pkey_count; i++)
        if (strcmp(table->pkey[i], name) == 0)
            return true;
    return false;
}

const char *sb_cache_check_message(const struct sb_schema_cache *cache, const char *table, const char *constraint)
{
    if (!table || !constraint)
        return NULL;
    for (int i = 0; i < cache->check_count; i++)
        if (strcmp(cache->checks[i].name, constraint) == 0 && strcmp(cache->checks[i].table, table) == 0)
            return cache->checks[i].message;
    return NULL;
}

/* ---- the listener ------------------------------------------------------------------------ */

static const char *listener_conninfo;

static void reload(PGconn *conn, const char *why)
{
    const char *error = NULL;
    struct sb_schema_cache *cache = sb_schema_cache_load(conn, &error);
    if (!cache) {
        sb_log(SB_LOG_WARN, "schema cache reload failed", "reason", why, "error", error, NULL);
        return;
    }
    char ms[32], query_ms[32], tables[16], functions[16];
    snprintf(ms, sizeof ms, "%.2f", cache->load_ms);
    snprintf(query_ms, sizeof query_ms, "%.2f", cache->query_ms);
    snprintf(tables, sizeof tables, "%d", cache->table_count);
    snprintf(functions, sizeof functions, "%d", cache->function_count);
    sb_schema_cache_publish(cache);
    sb_log(SB_LOG_INFO, "schema cache loaded", "reason", why, "duration_ms", ms, "query_ms", query_ms, "tables", tables,
           "functions", functions, NULL);
}

static PGconn *listen_connection(void)
{
    PGconn *conn = sb_db_open(listener_conninfo, "studybase schema cache");
    if (!conn)
        return NULL;
    PGresult *res = PQexec(conn, "LISTEN pgrst");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* True when a notification on pgrst asks for a schema reload (its payload is empty or
 * 'reload schema'). Drains every pending notification. */
static bool reload_requested(PGconn *conn)
{
    bool wanted = false;
    PGnotify *n;
    while ((n = PQnotifies(conn)) != NULL) {
        if (n->extra[0] == '\0' || strcmp(n->extra, "reload schema") == 0)
            wanted = true;
        PQfreemem(n);
    }
    return wanted;
}

static bool cache_is_loaded(void)
{
    const struct sb_schema_cache *c = sb_schema_cache_acquire();
    sb_schema_cache_release(c);
    return c != NULL;
}

struct listener {
    int sigfd;           /* SIGHUP, or -1 */
    PGconn *conn;        /* already listening, or NULL */
};

static void *listener_main(void *arg)
{
    struct listener *l = arg;
    int sigfd = l->sigfd;
    PGconn *conn = l->conn;
    free(l);
    for (;;) {
        if (!conn || PQstatus(conn) != CONNECTION_OK) {
            if (conn)
                PQfinish(conn);
            conn = listen_connection();
            if (!conn) {
                sleep(1);
                continue;
            }
            /* first load, or a notification may have been missed while disconnected */
            reload(conn, cache_is_loaded() ? "reconnect" : "start");
        }
        struct pollfd fds[2] = { { .fd = PQsocket(conn), .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
        if (poll(fds, sigfd >= 0 ? 2 : 1, -1) < 0)
            continue;
        if (sigfd >= 0 && (fds[1].revents & POLLIN)) {
            struct signalfd_siginfo info;
            if (read(sigfd, &info, sizeof info) == (ssize_t)sizeof info)
                reload(conn, "SIGHUP");
        }
        if (fds[0].revents) {
            if (PQconsumeInput(conn) != 1)
                continue;   /* broken: reconnect above */
            if (reload_requested(conn))
                reload(conn, "NOTIFY");
        }
    }
    return NULL;
}

int sb_schema_cache_start(const char *conninfo)
{
    listener_conninfo = conninfo;
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, NULL);
    struct listener *l = malloc(sizeof *l);
    l->sigfd = signalfd(-1, &hup, SFD_CLOEXEC);
    l->conn = listen_connection();
    if (l->conn)
        reload(l->conn, "start");
    pthread_t thread;
    if (pthread_create(&thread, NULL, listener_main, l) != 0) {
        if (l->conn)
            PQfinish(l->conn);
        free(l);
        return -1;
    }
    pthread_detach(thread);
    return 0;
}
