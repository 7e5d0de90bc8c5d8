/*
 * schema_cache: what the data API knows of the exposed schema (`public`): tables and views
 * with their columns and types, primary keys, foreign keys, functions, and the messages of
 * CHECK constraints (their COMMENTs). Every identifier the SQL generator writes comes from here.
 *
 * The cache is loaded from the catalog in one query at start, and rebuilt on
 * `NOTIFY pgrst, 'reload schema'` (or an empty payload) and on SIGHUP by a listener thread of
 * its own. A reload builds a whole new cache and publishes it with a pointer swap; requests
 * holding the old one keep using it and the last release frees it, so a reload never blocks
 * a request.
 *
 * A cache is immutable once published, and everything in it is owned by the cache.
 * sb_schema_cache_acquire gives the current one (or NULL before the first load succeeded);
 * each acquire must be paired with one sb_schema_cache_release.
 */
#ifndef SB_REST_SCHEMA_CACHE_H
#define SB_REST_SCHEMA_CACHE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "util/arena.h"

struct sb_cache_column {
    const char *name;
    const char *type;          /* format_type(): "text", "text[]", "vector(384)", "jsonb" ... */
    bool not_null, has_default;
    const char *default_sql;   /* the DEFAULT expression as the catalog prints it, or NULL */
};

struct sb_cache_table {
    const char *name;
    bool is_view;
    bool is_function_result;   /* a TABLE(...) function's columns, not a relation */
    int column_count;
    struct sb_cache_column *columns;
    int pkey_count;
    const char **pkey;
};

struct sb_cache_fkey {
    const char *name;
    const struct sb_cache_table *from, *to;   /* from.cols reference to.cols */
    int count;
    const char **from_cols, **to_cols;
};

struct sb_cache_arg {
    const char *name;          /* "" for an unnamed argument */
    const char *type;
    bool has_default;
};

enum sb_cache_returns {
    SB_RETURNS_SCALAR,         /* one value (or SETOF values) */
    SB_RETURNS_ROWS,           /* a table's row type or TABLE(...): see result */
    SB_RETURNS_VOID,
};

struct sb_cache_function {
    const char *name;
    int arg_count;
    struct sb_cache_arg *args;              /* input arguments in order */
    enum sb_cache_returns returns;
    bool returns_set;
    char volatility;                         /* 'i', 's' or 'v' */
    const struct sb_cache_table *result;     /* SB_RETURNS_ROWS: the row's columns */
};

struct sb_cache_check {
    const char *table, *name, *message;
};

struct sb_schema_cache {
    struct sb_arena *arena;    /* owns everything below */
    int table_count, fkey_count, function_count, check_count;
    struct sb_cache_table *tables;
    struct sb_cache_fkey *fkeys;
    struct sb_cache_function *functions;
    struct sb_cache_check *checks;
    double load_ms;            /* how long the catalog query and the build took */
    double query_ms;           /* of which the catalog query (with the transfer) */
    int refs;                  /* guarded by the module's lock */
};

/* Loads the cache synchronously once (so the first request finds it), then starts the
 * listener thread that reloads it. Blocks SIGHUP in the calling thread, so call it before
 * other threads start. Returns 0, or -1 if the thread could not start (the first load
 * failing is not an error: the listener keeps trying). */
int sb_schema_cache_start(const char *conninfo);

const struct sb_schema_cache *sb_schema_cache_acquire(void);
void sb_schema_cache_release(const struct sb_schema_cache *cache);

/* Builds a cache from the catalog through conn; NULL with *error set (static or owned by
 * the arena passed) on failure. Exposed for tests and the benchmark. */
struct sb_schema_cache *sb_schema_cache_load(PGconn *conn, const char **error);
void sb_schema_cache_free(struct sb_schema_cache *cache);

/* Replaces the published cache (takes ownership). */
void sb_schema_cache_publish(struct sb_schema_cache *cache);

const struct sb_cache_table *sb_cache_table(const struct sb_schema_cache *cache, const char *name);
const struct sb_cache_column *sb_cache_column(const struct sb_cache_table *table, const char *name);
/* Whether name is one of the table's primary key columns. */
bool sb_cache_is_key_column(const struct sb_cache_table *table, const char *name);
/* The seed's message for a violated CHECK constraint, or NULL. */
const char *sb_cache_check_message(const struct sb_schema_cache *cache, const char *table, const char *constraint);

#endif
