/*
 * parse: hand-written recursive descent over the query parameters. A cursor (struct lexer)
 * walks one parameter's text; failures say which parameter, what was found and where.
 */
#include "rest/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16       /* embedding and or/and nesting */
#define MAX_ITEMS 1000     /* select items, conditions, order terms, names per level */
#define MAX_ELEMENTS 100000 /* values of one in.() or (any)/(all) list */

struct lexer {
    struct sb_arena *arena;
    const char *param;     /* "select", "filter", "order"... for messages */
    const char *text, *p;
    struct sb_error *err;
};

static bool fail_at(struct lexer *lx, const char *expected)
{
    const char *found = *lx->p ? sb_arena_printf(lx->arena, "\"%c\"", *lx->p) : "end of input";
    const char *details = sb_arena_printf(lx->arena, "unexpected %s at column %d, expecting %s", found,
                                          (int)(lx->p - lx->text) + 1, expected);
    const char *message = sb_arena_printf(lx->arena, "failed to parse %s parameter (%s)", lx->param, lx->text);
    return sb_rest_fail_parse(lx->err, message, details);
}

/* Makes room for one more element in an arena array of *cap elements holding count, doubling
 * it when full; refuses to grow past max. */
static bool make_room(struct lexer *lx, void **items, int count, int *cap, int max, size_t size, const char *what)
{
    if (count < *cap)
        return true;
    if (*cap >= max)
        return fail_at(lx, what);
    void *n = sb_arena_alloc(lx->arena, size * (size_t)*cap * 2);
    memcpy(n, *items, size * (size_t)*cap);
    *items = n;
    *cap *= 2;
    return true;
}

static void skip_blanks(struct lexer *lx)
{
    while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r')
        lx->p++;
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

/* A name: identifier characters, or a double-quoted string with \" and \\ escapes. Hyphens
 * are allowed inside a name when not the start of an arrow. */
static bool read_name(struct lexer *lx, const char **out)
{
    skip_blanks(lx);
    if (*lx->p == '"') {
        struct { char *s; size_t n; } b = { sb_arena_alloc(lx->arena, strlen(lx->p) + 1), 0 };
        lx->p++;
        while (*lx->p && *lx->p != '"') {
            if (*lx->p == '\\' && lx->p[1])
                lx->p++;
            b.s[b.n++] = *lx->p++;
        }
        if (*lx->p != '"')
            return fail_at(lx, "a closing \"");
        lx->p++;
        if (b.n == 0)
            return fail_at(lx, "a name");
        *out = b.s;
        return true;
    }
    const char *start = lx->p;
    while (name_char(*lx->p) || (*lx->p == '-' && lx->p[1] != '>') || (*lx->p == ' ' && name_char(lx->p[1]) &&
                                                                     lx->p > start))
        lx->p++;
    if (lx->p == start)
        return fail_at(lx, "a name");
    *out = sb_arena_strndup(lx->arena, start, (size_t)(lx->p - start));
    return true;
}

/* JSON path after a name: { ("->" | "->>") key } */
static bool read_json_path(struct lexer *lx, struct sb_rest_field *f)
{
    int cap = 0;
    while (lx->p[0] == '-' && lx->p[1] == '>') {
        bool as_text = lx->p[2] == '>';
        lx->p += as_text ? 3 : 2;
        const char *key;
        const char *start = lx->p;
        if (*lx->p == '-' || isdigit((unsigned char)*lx->p)) {
            if (*lx->p == '-')
                lx->p++;
            if (!isdigit((unsigned char)*lx->p))
                return fail_at(lx, "a digit after \"-\"");
            while (isdigit((unsigned char)*lx->p))
                lx->p++;
            key = sb_arena_strndup(lx->arena, start, (size_t)(lx->p - start));
        } else if (!read_name(lx, &key)) {
            return false;
        }
        if (f->path_len == cap) {
            cap = cap ? cap * 2 : 4;
            const char **np = sb_arena_alloc(lx->arena, sizeof *np * (size_t)cap);
            bool *nt = sb_arena_alloc(lx->arena, sizeof *nt * (size_t)cap);
            for (int i = 0; i < f->path_len; i++) {
                np[i] = f->path[i];
                nt[i] = f->path_as_text[i];
            }
            f->path = np;
            f->path_as_text = nt;
        }
        f->path[f->path_len] = key;
        f->path_as_text[f->path_len] = as_text;
        f->path_len++;
    }
    return true;
}

static bool read_field(struct lexer *lx, struct sb_rest_field *f)
{
    memset(f, 0, sizeof *f);
    return read_name(lx, &f->name) && read_json_path(lx, f);
}

/* ---- select ------------------------------------------------------------------------------ */

/* Types a select may cast to: written as given, so only these words reach the SQL. */
static const char *const castable[] = {
    "text", "int", "int2", "int4", "int8", "integer", "smallint", "bigint", "numeric", "real",
    "float4", "float8", "float", "double precision", "boolean", "bool", "json", "jsonb", "uuid",
    "date", "time", "timestamp", "timestamptz", "interval", "varchar", "char", NULL,
};

static bool read_cast(struct lexer *lx, const char **out)
{
    const char *start = lx->p;
    while (isalnum((unsigned char)*lx->p) || *lx->p == '_' || (*lx->p == ' ' && isalpha((unsigned char)lx->p[1])))
        lx->p++;
    size_t n = (size_t)(lx->p - start);
    for (int i = 0; castable[i]; i++)
        if (strlen(castable[i]) == n && strncasecmp(castable[i], start, n) == 0) {
            *out = castable[i];
            return true;
        }
    lx->p = start;
    return fail_at(lx, "a known type (text, int, bigint, numeric, boolean, json, jsonb, uuid, date, timestamptz...)");
}

static bool parse_select_list(struct lexer *lx, struct sb_rest_select *out, int depth, char close);

static bool parse_embed(struct lexer *lx, struct sb_rest_item *item, int depth)
{
    item->kind = SB_ITEM_EMBED;
    while (*lx->p == '!') {
        lx->p++;
        const char *word;
        if (!read_name(lx, &word))
            return false;
        if (strcmp(word, "inner") == 0)
            item->inner = true;
        else if (strcmp(word, "left") != 0)
            item->hint = word;
    }
    skip_blanks(lx);
    if (*lx->p != '(')
        return fail_at(lx, "\"(\"");
    lx->p++;
    if (depth >= MAX_DEPTH)
        return fail_at(lx, "less nesting");
    item->children = sb_arena_alloc(lx->arena, sizeof *item->children);
    return parse_select_list(lx, item->children, depth + 1, ')');
}

static bool parse_select_item(struct lexer *lx, struct sb_rest_item *item, int depth)
{
    memset(item, 0, sizeof *item);
    skip_blanks(lx);
    if (*lx->p == '*') {
        lx->p++;
        item->kind = SB_ITEM_STAR;
        return true;
    }
    if (strncmp(lx->p, "...", 3) == 0)
        return fail_at(lx, "a column or an embedded resource (spreads are not supported)");
    const char *name;
    if (!read_name(lx, &name))
        return false;
    skip_blanks(lx);
    if (lx->p[0] == ':' && lx->p[1] != ':') {
        lx->p++;
        item->alias = name;
        if (!read_name(lx, &name))
            return false;
        skip_blanks(lx);
    }
    if (strcmp(name, "count") == 0 && lx->p[0] == '(' && lx->p[1] == ')') {
        lx->p += 2;
        item->kind = SB_ITEM_COUNT;
        return true;
    }
    item->field.name = name;
    if (*lx->p == '!' || *lx->p == '(')
        return parse_embed(lx, item, depth);
    item->kind = SB_ITEM_FIELD;
    if (!read_json_path(lx, &item->field))
        return false;
    if (lx->p[0] == ':' && lx->p[1] == ':') {
        lx->p += 2;
        if (!read_cast(lx, &item->cast))
            return false;
    }
    return true;
}

static bool parse_select_list(struct lexer *lx, struct sb_rest_select *out, int depth, char close)
{
    int cap = 4;
    out->items = sb_arena_alloc(lx->arena, sizeof *out->items * (size_t)cap);
    out->count = 0;
    skip_blanks(lx);
    if (close && *lx->p == close) {          /* rel() selects nothing of the relation */
        lx->p++;
        return true;
    }
    for (;;) {
        if (!make_room(lx, (void **)&out->items, out->count, &cap, MAX_ITEMS, sizeof *out->items, "fewer items"))
            return false;
        if (!parse_select_item(lx, &out->items[out->count++], depth))
            return false;
        skip_blanks(lx);
        if (*lx->p == ',') {
            lx->p++;
            continue;
        }
        if (close && *lx->p == close) {
            lx->p++;
            return true;
        }
        if (!close && !*lx->p)
            return true;
        return fail_at(lx, close ? "\",\" or \")\"" : "\",\" or the end");
    }
}

bool sb_rest_parse_select(struct sb_arena *arena, const char *text, struct sb_rest_select *out,
                          struct sb_error *err)
{
    struct lexer lx = { arena, "select", text, text, err };
    return parse_select_list(&lx, out, 0, 0);
}

/* ---- filters ----------------------------------------------------------------------------- */

static const struct { const char *name; enum sb_rest_op op; } operators[] = {
    { "eq", SB_OP_EQ }, { "neq", SB_OP_NEQ }, { "gt", SB_OP_GT }, { "gte", SB_OP_GTE },
    { "lt", SB_OP_LT }, { "lte", SB_OP_LTE }, { "like", SB_OP_LIKE }, { "ilike", SB_OP_ILIKE },
    { "match", SB_OP_MATCH }, { "imatch", SB_OP_IMATCH }, { "in", SB_OP_IN }, { "is", SB_OP_IS },
    { "isdistinct", SB_OP_ISDISTINCT }, { "fts", SB_OP_FTS }, { "plfts", SB_OP_PLFTS },
    { "phfts", SB_OP_PHFTS }, { "wfts", SB_OP_WFTS }, { "cs", SB_OP_CS }, { "cd", SB_OP_CD },
    { "ov", SB_OP_OV }, { "sl", SB_OP_SL }, { "sr", SB_OP_SR }, { "nxr", SB_OP_NXR },
    { "nxl", SB_OP_NXL }, { "adj", SB_OP_ADJ }, { NULL, SB_OP_EQ },
};

bool sb_rest_op_is_fts(enum sb_rest_op op)
{
    return op == SB_OP_FTS || op == SB_OP_PLFTS || op == SB_OP_PHFTS || op == SB_OP_WFTS;
}

static bool takes_quantifier(enum sb_rest_op op)
{
    return op <= SB_OP_IMATCH && op != SB_OP_NEQ;
}

/* One element of a list: raw up to , or the closer, or a double-quoted string. */
static bool read_element(struct lexer *lx, char close, const char **out)
{
    if (*lx->p == '"') {
        char *s = sb_arena_alloc(lx->arena, strlen(lx->p) + 1);
        size_t n = 0;
        lx->p++;
        while (*lx->p && *lx->p != '"') {
            if (*lx->p == '\\' && lx->p[1])
                lx->p++;
            s[n++] = *lx->p++;
        }
        if (*lx->p != '"')
            return fail_at(lx, "a closing \"");
        lx->p++;
        *out = s;
        return true;
    }
    const char *start = lx->p;
    while (*lx->p && *lx->p != ',' && *lx->p != close)
        lx->p++;
    *out = sb_arena_strndup(lx->arena, start, (size_t)(lx->p - start));
    return true;
}

/* "(a,b,"c,d")" or "{a,b}" into a list. */
static bool read_list(struct lexer *lx, char open, char close, struct sb_rest_cond *c)
{
    if (*lx->p != open)
        return fail_at(lx, open == '(' ? "\"(\"" : "\"{\"");
    lx->p++;
    int cap = 8;
    c->list = sb_arena_alloc(lx->arena, sizeof *c->list * (size_t)cap);
    if (*lx->p == close) {
        lx->p++;
        return true;
    }
    for (;;) {
        if (!make_room(lx, (void **)&c->list, c->list_len, &cap, MAX_ELEMENTS, sizeof *c->list, "fewer elements"))
            return false;
        if (!read_element(lx, close, &c->list[c->list_len++]))
            return false;
        if (*lx->p == ',') {
            lx->p++;
            continue;
        }
        if (*lx->p == close) {
            lx->p++;
            return true;
        }
        return fail_at(lx, "\",\" or a closing bracket");
    }
}

static bool read_operator(struct lexer *lx, struct sb_rest_cond *c)
{
    const char *start = lx->p;
    while (isalpha((unsigned char)*lx->p))
        lx->p++;
    size_t n = (size_t)(lx->p - start);
    for (int i = 0; operators[i].name; i++)
        if (strlen(operators[i].name) == n && strncmp(operators[i].name, start, n) == 0) {
            c->op = operators[i].op;
            return true;
        }
    lx->p = start;
    return fail_at(lx, "an operator (eq, neq, gt, gte, lt, lte, like, ilike, match, imatch, in, is, "
                       "isdistinct, fts, plfts, phfts, wfts, cs, cd, ov, sl, sr, nxr, nxl, adj)");
}

static bool read_modifier(struct lexer *lx, struct sb_rest_cond *c)
{
    if (*lx->p != '(')
        return true;
    const char *start = ++lx->p;
    while (*lx->p && *lx->p != ')')
        lx->p++;
    if (*lx->p != ')')
        return fail_at(lx, "\")\"");
    char *word = sb_arena_strndup(lx->arena, start, (size_t)(lx->p - start));
    lx->p++;
    if (sb_rest_op_is_fts(c->op)) {
        for (const char *s = word; *s; s++)
            if (!isalnum((unsigned char)*s) && *s != '_')
                return fail_at(lx, "a text search configuration name");
        c->fts_config = word;
    } else if (takes_quantifier(c->op) && strcmp(word, "any") == 0) {
        c->quant = SB_QUANT_ANY;
    } else if (takes_quantifier(c->op) && strcmp(word, "all") == 0) {
        c->quant = SB_QUANT_ALL;
    } else {
        lx->p = start;
        return fail_at(lx, "(any) or (all) on eq, gt, gte, lt, lte, like, ilike, match, imatch");
    }
    return true;
}

/* [not.]op[(mod)].value up to the end (or, inside a logic tree, up to , or ) ). */
static bool parse_operation(struct lexer *lx, struct sb_rest_cond *c, bool in_tree)
{
    c->kind = SB_COND_LEAF;
    if (strncmp(lx->p, "not.", 4) == 0) {
        c->negate = true;
        lx->p += 4;
    }
    if (!read_operator(lx, c) || !read_modifier(lx, c))
        return false;
    if (*lx->p != '.')
        return fail_at(lx, "\".\" before the value");
    lx->p++;
    if (c->op == SB_OP_IN)
        return read_list(lx, '(', ')', c);
    if (c->quant != SB_QUANT_NONE)
        return read_list(lx, '{', '}', c);
    if (in_tree) {
        if (!read_element(lx, ')', &c->value))
            return false;
    } else {
        c->value = sb_arena_strdup(lx->arena, lx->p);
        lx->p += strlen(lx->p);
    }
    if (c->op == SB_OP_IS) {
        static const char *const ok[] = { "null", "true", "false", "unknown", NULL };
        for (int i = 0; ok[i]; i++)
            if (strcasecmp(c->value, ok[i]) == 0) {
                c->value = ok[i];
                return true;
            }
        return fail_at(lx, "null, true, false or unknown after is.");
    }
    return true;
}

bool sb_rest_parse_filter(struct sb_arena *arena, const char *field, const char *value, struct sb_rest_cond *out,
                          struct sb_error *err)
{
    memset(out, 0, sizeof *out);
    struct lexer fl = { arena, "filter", field, field, err };
    if (!read_field(&fl, &out->field))
        return false;
    if (*fl.p)
        return fail_at(&fl, "a column name, optionally with ->/->> and a key");
    struct lexer lx = { arena, "filter", value, value, err };
    if (!parse_operation(&lx, out, false))
        return false;
    if (*lx.p)
        return fail_at(&lx, "the end of the value");
    return true;
}

static bool parse_tree(struct lexer *lx, struct sb_rest_cond *out, int depth);

/* One member of an or/and list: a nested [not.]or(...) / and(...), or field.op.value. */
static bool parse_tree_member(struct lexer *lx, struct sb_rest_cond *c, int depth)
{
    memset(c, 0, sizeof *c);
    bool negate = false;
    const char *save = lx->p;
    if (strncmp(lx->p, "not.", 4) == 0) {
        negate = true;
        lx->p += 4;
    }
    for (int k = 0; k < 2; k++) {
        const char *word = k ? "and" : "or";
        size_t n = strlen(word);
        if (strncmp(lx->p, word, n) == 0 && lx->p[n] == '(') {
            lx->p += n;
            c->kind = k ? SB_COND_AND : SB_COND_OR;
            c->negate = negate;
            return parse_tree(lx, c, depth + 1);
        }
    }
    lx->p = save;
    if (!read_field(lx, &c->field))
        return false;
    if (*lx->p != '.')
        return fail_at(lx, "\".\" after the column");
    lx->p++;
    return parse_operation(lx, c, true);
}

static bool parse_tree(struct lexer *lx, struct sb_rest_cond *out, int depth)
{
    if (depth > MAX_DEPTH)
        return fail_at(lx, "less nesting");
    if (*lx->p != '(')
        return fail_at(lx, "\"(\"");
    lx->p++;
    int cap = 4;
    out->children = sb_arena_alloc(lx->arena, sizeof *out->children * (size_t)cap);
    for (;;) {
        if (!make_room(lx, (void **)&out->children, out->child_count, &cap, MAX_ITEMS, sizeof *out->children,
                       "fewer conditions"))
            return false;
        if (!parse_tree_member(lx, &out->children[out->child_count++], depth))
            return false;
        if (*lx->p == ',') {
            lx->p++;
            continue;
        }
        if (*lx->p == ')') {
            lx->p++;
            return true;
        }
        return fail_at(lx, "\",\" or \")\"");
    }
}

bool sb_rest_parse_logic(struct sb_arena *arena, const char *op, bool negate, const char *value,
                         struct sb_rest_cond *out, struct sb_error *err)
{
    memset(out, 0, sizeof *out);
    out->kind = strcmp(op, "and") == 0 ? SB_COND_AND : SB_COND_OR;
    out->negate = negate;
    struct lexer lx = { arena, "logic tree", value, value, err };
    if (!parse_tree(&lx, out, 0))
        return false;
    if (*lx.p)
        return fail_at(&lx, "the end after \")\"");
    return true;
}

/* ---- order, names ---------------------------------------------------------------------------- */

/* After an element of a top-level list: a comma (consumed, *more) or the end (!*more). */
static bool list_continues(struct lexer *lx, bool *more, const char *expected)
{
    skip_blanks(lx);
    *more = *lx->p == ',';
    if (*more)
        lx->p++;
    return *more || !*lx->p || fail_at(lx, expected);
}

bool sb_rest_parse_order(struct sb_arena *arena, const char *text, struct sb_rest_order_term **out, int *count,
                         struct sb_error *err)
{
    struct lexer lx = { arena, "order", text, text, err };
    int cap = 4;
    *out = sb_arena_alloc(arena, sizeof **out * (size_t)cap);
    *count = 0;
    for (;;) {
        if (!make_room(&lx, (void **)out, *count, &cap, MAX_ITEMS, sizeof **out, "fewer terms"))
            return false;
        struct sb_rest_order_term *t = &(*out)[(*count)++];
        memset(t, 0, sizeof *t);
        if (!read_field(&lx, &t->field))
            return false;
        if (*lx.p == '(' && t->field.path_len == 0) {      /* relation(column) */
            t->relation = t->field.name;
            lx.p++;
            if (!read_field(&lx, &t->field))
                return false;
            if (*lx.p != ')')
                return fail_at(&lx, "\")\"");
            lx.p++;
        }
        while (*lx.p == '.') {
            lx.p++;
            if (strncmp(lx.p, "asc", 3) == 0 && !isalpha((unsigned char)lx.p[3])) {
                t->desc = false;
                lx.p += 3;
            } else if (strncmp(lx.p, "desc", 4) == 0 && !isalpha((unsigned char)lx.p[4])) {
                t->desc = true;
                lx.p += 4;
            } else if (strncmp(lx.p, "nullsfirst", 10) == 0) {
                t->nulls = 1;
                lx.p += 10;
            } else if (strncmp(lx.p, "nullslast", 9) == 0) {
                t->nulls = 2;
                lx.p += 9;
            } else {
                return fail_at(&lx, "asc, desc, nullsfirst or nullslast");
            }
        }
        bool more;
        if (!list_continues(&lx, &more, "\",\", \".\" or the end"))
            return false;
        if (!more)
            return true;
    }
}

bool sb_rest_parse_name_list(struct sb_arena *arena, const char *param, const char *text, const char ***out,
                             int *count, struct sb_error *err)
{
    struct lexer lx = { arena, param, text, text, err };
    int cap = 8;
    *out = sb_arena_alloc(arena, sizeof **out * (size_t)cap);
    *count = 0;
    for (;;) {
        if (!make_room(&lx, (void **)out, *count, &cap, MAX_ITEMS, sizeof **out, "fewer names"))
            return false;
        if (!read_name(&lx, &(*out)[(*count)++]))
            return false;
        bool more;
        if (!list_continues(&lx, &more, "\",\" or the end"))
            return false;
        if (!more)
            return true;
    }
}

/* ---- the whole query ---------------------------------------------------------------------- */

static struct sb_rest_scope *scope_named(struct sb_arena *arena, struct sb_rest_query *q, const char *path)
{
    for (int i = 0; i < q->scope_count; i++)
        if (strcmp(q->scopes[i].path, path) == 0)
            return &q->scopes[i];
    if ((q->scope_count & (q->scope_count - 1)) == 0) {      /* grow at powers of two */
        int cap = q->scope_count ? q->scope_count * 2 : 1;
        struct sb_rest_scope *n = sb_arena_alloc(arena, sizeof *n * (size_t)cap);
        if (q->scope_count)
            memcpy(n, q->scopes, sizeof *n * (size_t)q->scope_count);
        q->scopes = n;
    }
    struct sb_rest_scope *s = &q->scopes[q->scope_count++];
    memset(s, 0, sizeof *s);
    s->path = sb_arena_strdup(arena, path);
    s->limit = -1;
    return s;
}

static void add_cond(struct sb_arena *arena, struct sb_rest_scope *s, const struct sb_rest_cond *c)
{
    struct sb_rest_cond *n = sb_arena_alloc(arena, sizeof *n * (size_t)(s->cond_count + 1));
    if (s->cond_count)
        memcpy(n, s->conds, sizeof *n * (size_t)s->cond_count);
    n[s->cond_count++] = *c;
    s->conds = n;
}

/* Splits "a.b.order" into path "a.b" and last word "order"; a key without dots has path "".
 * Dots inside a JSON path (after ->) are not separators. */
static void split_key(struct sb_arena *arena, const char *key, const char **path, const char **last)
{
    const char *arrow = strstr(key, "->");
    const char *dot = NULL;
    for (const char *p = key; *p && (!arrow || p < arrow); p++)
        if (*p == '.')
            dot = p;
    if (!dot) {
        *path = "";
        *last = key;
        return;
    }
    *path = sb_arena_strndup(arena, key, (size_t)(dot - key));
    *last = dot + 1;
}

static bool parse_count(struct sb_arena *arena, const char *param, const char *value, long *out,
                        struct sb_error *err)
{
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (errno || *end || end == value || n < 0)
        return sb_rest_fail_parse(err, sb_arena_printf(arena, "failed to parse %s parameter (%s)", param, value),
                                  "expecting a non-negative whole number");
    *out = n;
    return true;
}

static bool parse_one_arg(struct sb_arena *arena, const char *key, const char *value, struct sb_rest_query *out,
                          struct sb_error *err)
{
    if (strcmp(key, "select") == 0)
        return sb_rest_parse_select(arena, value, &out->select, err);
    if (strcmp(key, "columns") == 0)
        return sb_rest_parse_name_list(arena, "columns", value, &out->columns, &out->column_count, err);
    if (strcmp(key, "on_conflict") == 0)
        return sb_rest_parse_name_list(arena, "on_conflict", value, &out->on_conflict, &out->on_conflict_count,
                                       err);
    const char *path, *last;
    split_key(arena, key, &path, &last);
    bool logic = strcmp(last, "or") == 0 || strcmp(last, "and") == 0;
    size_t n = strlen(path);                  /* not.or, a.not.and: "not" is no embed */
    bool negate = logic && (strcmp(path, "not") == 0 || (n > 4 && strcmp(path + n - 4, ".not") == 0));
    if (negate)
        path = n > 4 ? sb_arena_strndup(arena, path, n - 4) : "";
    struct sb_rest_scope *s = scope_named(arena, out, path);
    if (strcmp(last, "order") == 0)
        return sb_rest_parse_order(arena, value, &s->order, &s->order_count, err);
    if (strcmp(last, "limit") == 0)
        return parse_count(arena, "limit", value, &s->limit, err);
    if (strcmp(last, "offset") == 0)
        return parse_count(arena, "offset", value, &s->offset, err);
    struct sb_rest_cond c;
    if (logic) {
        if (!sb_rest_parse_logic(arena, last, negate, value, &c, err))
            return false;
    } else if (!sb_rest_parse_filter(arena, last, value, &c, err)) {
        return false;
    }
    add_cond(arena, s, &c);
    return true;
}

bool sb_rest_parse_query(struct sb_arena *arena, const struct sb_kv *args, int count,
                         bool (*skip)(const char *key, void *ctx), void *skip_ctx,
                         struct sb_rest_query *out, struct sb_error *err)
{
    memset(out, 0, sizeof *out);
    scope_named(arena, out, "");
    out->select.count = 1;
    out->select.items = sb_arena_alloc(arena, sizeof *out->select.items);
    out->select.items[0].kind = SB_ITEM_STAR;
    for (int i = 0; i < count; i++) {
        if (skip && skip(args[i].key, skip_ctx))
            continue;
        if (!parse_one_arg(arena, args[i].key, args[i].value ? args[i].value : "", out, err))
            return false;
    }
    return true;
}

const struct sb_rest_scope *sb_rest_scope_for(const struct sb_rest_query *q, const char *path)
{
    for (int i = 0; i < q->scope_count; i++)
        if (strcmp(q->scopes[i].path, path) == 0)
            return &q->scopes[i];
    return NULL;
}
