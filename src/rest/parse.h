/*
 * parse: PostgREST's URL grammar (select, filters, or/and trees, order, limit/offset,
 * columns, on_conflict) into a small AST. Nothing here knows the schema: names are checked
 * later against the schema cache (plan.c).
 *
 * Everything returned is owned by the arena passed in. A syntax error fills the error value
 * (struct sb_error: 400, PGRST100) whose message names the parameter and whose details name the
 * bad part and its position.
 */
#ifndef SB_REST_PARSE_H
#define SB_REST_PARSE_H

#include <stdbool.h>

#include "http/request.h"
#include "rest/errors.h"
#include "util/arena.h"

/* A column, possibly followed by a JSON path: prefs->>learning_pace, data->items->0. */
struct sb_rest_field {
    const char *name;
    int path_len;
    const char **path;         /* keys (or integer indexes as text) */
    bool *path_as_text;        /* ->> rather than -> */
};

enum sb_rest_item_kind { SB_ITEM_STAR, SB_ITEM_FIELD, SB_ITEM_EMBED, SB_ITEM_COUNT };

struct sb_rest_select;

struct sb_rest_item {
    enum sb_rest_item_kind kind;
    const char *alias;                /* NULL when none */
    struct sb_rest_field field;       /* FIELD; EMBED uses field.name as the relation */
    const char *cast;                 /* FIELD: a type from the allowed list, or NULL */
    const char *hint;                 /* EMBED: !fk_name or !column */
    bool inner;                       /* EMBED: !inner */
    struct sb_rest_select *children;  /* EMBED */
};

struct sb_rest_select {
    int count;
    struct sb_rest_item *items;
};

enum sb_rest_op {
    SB_OP_EQ, SB_OP_NEQ, SB_OP_GT, SB_OP_GTE, SB_OP_LT, SB_OP_LTE,
    SB_OP_LIKE, SB_OP_ILIKE, SB_OP_MATCH, SB_OP_IMATCH,
    SB_OP_IN, SB_OP_IS, SB_OP_ISDISTINCT,
    SB_OP_FTS, SB_OP_PLFTS, SB_OP_PHFTS, SB_OP_WFTS,
    SB_OP_CS, SB_OP_CD, SB_OP_OV, SB_OP_SL, SB_OP_SR, SB_OP_NXR, SB_OP_NXL, SB_OP_ADJ,
};

/* fts, plfts, phfts, wfts: the full-text operators. */
bool sb_rest_op_is_fts(enum sb_rest_op op);

enum sb_rest_quant { SB_QUANT_NONE, SB_QUANT_ANY, SB_QUANT_ALL };

enum sb_rest_cond_kind { SB_COND_LEAF, SB_COND_AND, SB_COND_OR };

struct sb_rest_cond {
    enum sb_rest_cond_kind kind;
    bool negate;
    /* LEAF */
    struct sb_rest_field field;
    enum sb_rest_op op;
    enum sb_rest_quant quant;
    const char *fts_config;           /* fts(english) */
    const char *value;                /* the value as given (IS: null|true|false|unknown) */
    int list_len;                     /* IN, and (any)/(all): the elements */
    const char **list;
    /* AND / OR */
    int child_count;
    struct sb_rest_cond *children;
};

struct sb_rest_order_term {
    const char *relation;             /* rel(field): a column of an embedded to-one relation */
    struct sb_rest_field field;
    bool desc;
    int nulls;                        /* 0 unspecified, 1 first, 2 last */
};

/* What applies at one level: the top ("") or an embedded resource ("materials", "a.b"). */
struct sb_rest_scope {
    const char *path;
    int cond_count;
    struct sb_rest_cond *conds;       /* ANDed */
    int order_count;
    struct sb_rest_order_term *order;
    long limit;                       /* -1: none */
    long offset;
    /* filters on the embedded resource itself: rel=is.null / rel=not.is.null */
};

struct sb_rest_query {
    struct sb_rest_select select;     /* "*" when not given */
    int scope_count;
    struct sb_rest_scope *scopes;     /* scopes[0] is the top level */
    int column_count;
    const char **columns;             /* columns= (NULL when absent) */
    int on_conflict_count;
    const char **on_conflict;
};

bool sb_rest_parse_select(struct sb_arena *arena, const char *text, struct sb_rest_select *out,
                          struct sb_error *err);
/* key=value for a filter: key is [embed.]field, value [not.]op[(mod)].value */
bool sb_rest_parse_filter(struct sb_arena *arena, const char *field, const char *value, struct sb_rest_cond *out,
                          struct sb_error *err);
/* or=(...), and=(...), not.or=(...): op is "or"/"and", negate for not. */
bool sb_rest_parse_logic(struct sb_arena *arena, const char *op, bool negate, const char *value,
                         struct sb_rest_cond *out, struct sb_error *err);
bool sb_rest_parse_order(struct sb_arena *arena, const char *text, struct sb_rest_order_term **out, int *count,
                         struct sb_error *err);
/* A comma list of names, each possibly double-quoted (columns=, on_conflict=). */
bool sb_rest_parse_name_list(struct sb_arena *arena, const char *param, const char *text, const char ***out,
                             int *count, struct sb_error *err);

/* The whole query string. args that are RPC arguments (skip returns true) are left out. */
bool sb_rest_parse_query(struct sb_arena *arena, const struct sb_kv *args, int count,
                         bool (*skip)(const char *key, void *ctx), void *skip_ctx,
                         struct sb_rest_query *out, struct sb_error *err);

/* The scope for an embed path ("" for the top), or NULL. */
const struct sb_rest_scope *sb_rest_scope_for(const struct sb_rest_query *q, const char *path);

#endif
