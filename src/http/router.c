/*
 * router: a small fixed array scanned linearly; there are a few dozen routes at most.
 */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 128

static struct sb_route routes[MAX_ROUTES];
static int route_count;

void sb_router_add(const struct sb_route *route)
{
    if (route_count == MAX_ROUTES) {
        fprintf(stderr, "studybase: too many routes (raise MAX_ROUTES in src/http/router.c)\n");
        abort();
    }
    routes[route_count++] = *route;
}

static bool has_prefix(const char *path, const char *prefix)
{
    return strncmp(path, prefix, strlen(prefix)) == 0;
}

const struct sb_route *sb_router_find(const char *method, const char *path, bool *path_known)
{
    const struct sb_route *best = NULL;
    size_t best_len = 0;
    *path_known = false;
    for (int i = 0; i < route_count; i++) {
        const struct sb_route *r = &routes[i];
        size_t len = strlen(r->prefix);
        if (!has_prefix(path, r->prefix))
            continue;
        *path_known = true;
        if (r->method && strcmp(r->method, method) != 0)
            continue;
        if (!best || len > best_len) {
            best = r;
            best_len = len;
        }
    }
    return best;
}
