/*
 * plan: the data API's second stage, between parse (query string -> AST) and query (plan ->
 * SQL). A request and its parsed query are resolved against the schema cache into what to do:
 * the action; a tree of relations (the target and its embeds, each a table or view with the
 * columns it selects, its conditions, order and paging, and for an embed the foreign key
 * chosen and whether it gives one row); the write's columns, conflict target and DEFAULTs; the
 * function overload of a call and its typed arguments; and the Prefer and Accept decisions.
 *
 * Every error a request can have before it reaches the database is raised here or by the
 * parser the planner calls: names the schema cache lacks (42P01, 42703, PGRST200/202/204),
 * ambiguous embeds and overloads (PGRST201/203), PUT's rules (PGRST105/114/115), the
 * headers (PGRST106/107/122), the body (PGRST102). The query stage then writes SQL from the
 * plan alone: it looks nothing up and cannot fail.
 *
 * Names in a plan point into the schema cache (the request holds it while it uses the plan);
 * everything else is owned by the arena passed to the planner.
 */
#ifndef SB_REST_PLAN_H
#define SB_REST_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "rest/errors.h"
#include "rest/parse.h"
#include "rest/schema_cache.h"

/* ---- what the planner reads -------------------------------------------------------------------- */

/* The parts of an HTTP request the data API reads (service.c fills it from the request). */
struct sb_rest_request {
    const char *method;
    const struct sb_kv *query;
    int query_count;
    const char *body;                  /* NUL-terminated; body_len is 0 when there is none */
    size_t body_len;
    const char *prefer, *accept, *range;            /* headers, NULL when absent */
    const char *accept_profile, *content_profile;
};

enum sb_rest_return { SB_RETURN_MINIMAL, SB_RETURN_HEADERS_ONLY, SB_RETURN_REPRESENTATION };
enum sb_rest_count { SB_COUNT_NONE, SB_COUNT_EXACT, SB_COUNT_PLANNED, SB_COUNT_ESTIMATED };
enum sb_rest_resolution { SB_RESOLUTION_NONE, SB_RESOLUTION_MERGE, SB_RESOLUTION_IGNORE };
enum sb_rest_accept { SB_ACCEPT_JSON, SB_ACCEPT_OBJECT, SB_ACCEPT_CSV, SB_ACCEPT_UNSUPPORTED };

struct sb_rest_prefs {
    enum sb_rest_return ret;
    enum sb_rest_count count;
    enum sb_rest_resolution resolution;
    bool missing_default;
    bool strict;                /* handling=strict: unknown preferences are an error */
    const char *unknown;        /* the first preference not understood, or NULL */
    const char *applied;        /* for Preference-Applied, or NULL */
};

enum sb_rest_conflict { SB_CONFLICT_NONE, SB_CONFLICT_MERGE, SB_CONFLICT_IGNORE };

/* What a request asks to write (before it is checked against the table). */
struct sb_rest_write {
    const char *body;                /* the JSON body text */
    int column_count;
    const char **columns;            /* the columns the body sets */
    enum sb_rest_conflict conflict;  /* inserts only */
    bool missing_default;            /* inserts: absent keys take the column DEFAULT, not NULL */
    bool want_body;                  /* the written rows come back (return=representation) */
};

/* ---- the plan ------------------------------------------------------------------------------ */

struct sb_plan_relation;

/* A condition on one relation's rows. */
enum sb_plan_cond_kind {
    SB_PLAN_COND_COLUMN,       /* parsed: a column of the relation (and JSON path), operator, value */
    SB_PLAN_COND_AND,
    SB_PLAN_COND_OR,
    SB_PLAN_COND_NO_EMBED,     /* rel=is.null: no row of the embed is related (negate: not.is.null) */
    SB_PLAN_COND_INNER_EMBED,  /* rel!inner: some row of the embed is related */
};

struct sb_plan_cond {
    enum sb_plan_cond_kind kind;
    bool negate;
    const struct sb_rest_cond *parsed;        /* COLUMN */
    bool on_tsvector;                         /* COLUMN, full-text search on a tsvector column */
    const struct sb_plan_relation *embed;     /* NO_EMBED, INNER_EMBED */
    int child_count;                          /* AND, OR */
    struct sb_plan_cond *children;
};

enum sb_plan_output_kind { SB_OUTPUT_ALL, SB_OUTPUT_COLUMN, SB_OUTPUT_COUNT, SB_OUTPUT_EMBED };

/* One entry of a select list. */
struct sb_plan_output {
    enum sb_plan_output_kind kind;
    const char *key;                          /* the JSON key (COLUMN, COUNT, EMBED) */
    const struct sb_rest_field *field;        /* COLUMN: a column of the relation, and a JSON path */
    const char *cast;                         /* COLUMN: a type from parse.c's list, or NULL */
    struct sb_plan_relation *embed;           /* EMBED */
};

struct sb_plan_order {
    const struct sb_rest_field *field;        /* a column of the relation, or of `via` */
    const struct sb_plan_relation *via;       /* order=rel(col): the to-one embed holding it, or NULL */
    bool desc;
    int nulls;                                /* 0 unspecified, 1 first, 2 last */
};

/* One relation of the tree: the target of the request (path "") or an embedded one. */
struct sb_plan_relation {
    const char *name;                  /* the table or view in public (for a call: its row type) */
    const char *path;                  /* "" for the target; "chats", "chats.messages" for embeds */
    const char *key;                   /* an embed's key in its parent's JSON */
    /* An embed's rows are those where cols[i] = the parent's parent_cols[i] for every i. */
    int join_count;
    const char *const *cols, *const *parent_cols;
    bool to_one;                       /* an object (or null), not an array */
    bool inner;                        /* !inner: filters its parent (used in the parent's conds) */
    int output_count;                  /* 0: rel() selects nothing of the relation */
    struct sb_plan_output *outputs;
    bool grouped;                      /* count() among the outputs: grouped by the columns */
    int cond_count;                    /* ANDed */
    struct sb_plan_cond *conds;
    int order_count;
    struct sb_plan_order *order;
    long limit, offset;                /* -1 and 0 when not given */
};

enum sb_plan_action { SB_PLAN_READ, SB_PLAN_INSERT, SB_PLAN_UPDATE, SB_PLAN_DELETE, SB_PLAN_CALL };

/* The columns written and how. */
struct sb_plan_write {
    const char *body;                  /* the JSON text: one parameter */
    int column_count;
    const char *const *columns;
    const char *const *defaults;       /* missing=default: each column's DEFAULT expression (or NULL);
                                          NULL when absent keys are NULL */
    enum sb_rest_conflict conflict;
    int conflict_count;
    const char *const *conflict_target;   /* ON CONFLICT (these columns) */
    bool want_body;                    /* the rows written come back, selected by plan->target */
};

struct sb_plan_arg {
    const char *name;                  /* "" for an unnamed argument (passed by position) */
    const char *type;
    const char *value;                 /* text for the argument's type; NULL = SQL NULL */
};

struct sb_plan_call {
    const char *function;
    int arg_count;
    struct sb_plan_arg *args;
    enum sb_cache_returns returns;
    bool returns_set;
};

/* How the total number of rows is found (reads and calls). */
enum sb_plan_total { SB_TOTAL_NONE, SB_TOTAL_EXACT, SB_TOTAL_PLANNED, SB_TOTAL_ESTIMATED };

struct sb_rest_plan {
    enum sb_plan_action action;
    /* from the headers */
    struct sb_rest_prefs prefs;
    enum sb_rest_accept accept;
    /* what to run */
    struct sb_plan_relation *target;   /* the relation acted on: its conditions choose the rows read,
                                          updated or deleted; its select list the JSON returned (a
                                          read, a call of rows, a write with want_body). NULL for a
                                          call of a value or of nothing, and when nothing_to_run */
    struct sb_plan_write write;        /* INSERT, UPDATE */
    struct sb_plan_call call;          /* CALL */
    enum sb_plan_total total;
    bool nothing_to_run;               /* an insert of [] or a PATCH of {}: answered as is */
    bool one_row_or_rollback;          /* singular Accept on a write: exactly one row, else undone */
    bool read_only;                    /* GET/HEAD of a VOLATILE function */
    /* how it is answered */
    long offset;                       /* the page's first row, for Content-Range */
    bool created;                      /* an insert: 201 */
    const char *location_table;        /* return=headers-only insert: Location: /table?pk=eq.v */
    int location_key_count;
    const char *const *location_key;
};

/* ---- the planner -------------------------------------------------------------------------------- */

/* Prefer, Accept and the profile header: fills plan->prefs and plan->accept; PGRST122 (unknown
 * preference with handling=strict), PGRST107, PGRST106. Call first: the others use them. */
bool sb_rest_plan_headers(struct sb_arena *arena, const struct sb_rest_request *r, struct sb_rest_plan *plan,
                          struct sb_error *err);

/* A request on the table or view `name` (GET, HEAD, POST, PATCH, PUT, DELETE). */
bool sb_rest_plan_table(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_rest_request *r,
                        const char *name, struct sb_rest_plan *plan, struct sb_error *err);

/* A call of the function `name` (GET, HEAD, POST /rpc/name). */
bool sb_rest_plan_rpc(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_rest_request *r,
                      const char *name, struct sb_rest_plan *plan, struct sb_error *err);

/* Shared by the request planners: GET or HEAD; and Range: 0-9 as the top's offset and limit
 * when the query string gives no limit. */
bool sb_rest_request_is_read(const struct sb_rest_request *r);
void sb_plan_apply_range(const char *range, struct sb_rest_query *q);

/* The statement-level planners the request planners use (and sql.h's one-step functions):
 * each sets plan->action and the parts of plan it decides, leaving the rest as it is. */
bool sb_plan_read(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                  const struct sb_rest_query *q, struct sb_rest_plan *plan, struct sb_error *err);
bool sb_plan_insert(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                    const struct sb_rest_query *q, const struct sb_rest_write *w, struct sb_rest_plan *plan,
                    struct sb_error *err);
bool sb_plan_update(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                    const struct sb_rest_query *q, const struct sb_rest_write *w, struct sb_rest_plan *plan,
                    struct sb_error *err);
bool sb_plan_delete(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                    const struct sb_rest_query *q, bool want_body, struct sb_rest_plan *plan,
                    struct sb_error *err);
/* The rows a call of fn returns, when they are rows (fn->result): selected like a read. */
bool sb_plan_call_rows(struct sb_arena *arena, const struct sb_schema_cache *cache,
                       const struct sb_cache_function *fn, const struct sb_rest_query *q, struct sb_rest_plan *plan,
                       struct sb_error *err);

#endif
