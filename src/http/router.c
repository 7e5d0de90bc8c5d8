/*
 * router: small fixed arrays scanned linearly; there are a few dozen routes at most.
 */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 128
#define MAX_SCOPES 16

static struct sb_route routes[MAX_ROUTES];
static int route_count;
static struct sb_scope scopes[MAX_SCOPES];
static int scope_count;

void sb_router_add(const struct sb_route *route)
{
    if (route_count == MAX_ROUTES || !route->path == !route->prefix) {
        fprintf(stderr, "studybase: a route needs a path or a prefix, and at most %d routes fit "
                        "(raise MAX_ROUTES in src/http/router.c)\n", MAX_ROUTES);
        abort();
    }
    routes[route_count++] = *route;
}

void sb_router_add_scope(const struct sb_scope *scope)
{
    if (scope_count == MAX_SCOPES) {
        fprintf(stderr, "studybase: too many scopes (raise MAX_SCOPES in src/http/router.c)\n");
        abort();
    }
    scopes[scope_count++] = *scope;
}

static bool has_prefix(const char *path, const char *prefix)
{
    return strncmp(path, prefix, strlen(prefix)) == 0;
}

/* The length of the segment at s (up to the next '/' or the end). */
static size_t segment_length(const char *s)
{
    return strcspn(s, "/");
}

static bool is_parameter(const char *segment, size_t len)
{
    return len >= 2 && segment[0] == '{' && segment[len - 1] == '}';
}

bool sb_router_path_matches(const char *pattern, const char *path)
{
    bool last_fixed = true;
    while (*pattern) {
        if (*pattern != '/' || *path != '/')
            return false;
        pattern++, path++;
        size_t want = segment_length(pattern), got = segment_length(path);
        last_fixed = !is_parameter(pattern, want);
        if (last_fixed ? want != got || strncmp(pattern, path, want) != 0 : got == 0)
            return false;
        pattern += want, path += got;
    }
    return *path == '\0' || (last_fixed && strcmp(path, "/") == 0);
}

static bool route_has_path(const struct sb_route *r, const char *path)
{
    return r->path ? sb_router_path_matches(r->path, path) : has_prefix(path, r->prefix);
}

/* Whether a beats b: a path route beats any prefix route, then the longer prefix. */
static bool better(const struct sb_route *a, const struct sb_route *b)
{
    if (!b)
        return true;
    if (a->path || b->path)
        return a->path && !b->path;
    return strlen(a->prefix) > strlen(b->prefix);
}

const struct sb_route *sb_router_find(const char *method, const char *path, bool *path_known)
{
    const struct sb_route *best = NULL;
    *path_known = false;
    for (int i = 0; i < route_count; i++) {
        const struct sb_route *r = &routes[i];
        if (!route_has_path(r, path))
            continue;
        *path_known = true;
        if (r->method && strcmp(r->method, method) != 0)
            continue;
        if (better(r, best))
            best = r;
    }
    return best;
}

const struct sb_scope *sb_router_scope_for(const char *path)
{
    const struct sb_scope *best = NULL;
    for (int i = 0; i < scope_count; i++)
        if (has_prefix(path, scopes[i].prefix) && (!best || strlen(scopes[i].prefix) > strlen(best->prefix)))
            best = &scopes[i];
    return best;
}
