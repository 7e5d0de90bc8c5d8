/*
 * jwt_cache: a per-thread array of verified tokens (see jwt_cache.h). An entry owns one
 * malloc'd block holding the token, the secret and audience it verified under, and the
 * claim strings; evicting it frees the block.
 */
#include "auth/jwt_cache.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *block;                 /* owns every string below; NULL = empty entry */
    unsigned long hash;          /* of the token */
    size_t token_len;
    const char *token, *secret, *audience;
    struct sb_jwt_claims claims;
    unsigned long last_used;
};

struct cache {
    struct entry entries[SB_JWT_CACHE_ENTRIES];
    unsigned long clock;         /* use counter for LRU */
    unsigned long hits;
};

static __thread struct cache *thread_cache;
static pthread_key_t cache_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void forget_entry(struct entry *e)
{
    free(e->block);
    memset(e, 0, sizeof *e);
}

static void free_cache(void *data)
{
    struct cache *c = data;
    if (!c)
        return;
    for (int i = 0; i < SB_JWT_CACHE_ENTRIES; i++)
        forget_entry(&c->entries[i]);
    free(c);
}

static void make_key(void)
{
    pthread_key_create(&cache_key, free_cache);
}

static struct cache *cache_of_this_thread(void)
{
    if (thread_cache)
        return thread_cache;
    pthread_once(&key_once, make_key);
    thread_cache = calloc(1, sizeof *thread_cache);
    if (thread_cache)
        pthread_setspecific(cache_key, thread_cache);
    return thread_cache;
}

static unsigned long hash_bytes(const char *s, size_t len)
{
    unsigned long h = 1469598103934665603UL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211UL;
    return h;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static struct entry *find(struct cache *c, const char *token, size_t len, unsigned long hash, const char *secret,
                          const char *audience)
{
    for (int i = 0; i < SB_JWT_CACHE_ENTRIES; i++) {
        struct entry *e = &c->entries[i];
        if (e->block && e->hash == hash && e->token_len == len && CRYPTO_memcmp(e->token, token, len) == 0 &&
            same_text(e->secret, secret) && same_text(e->audience, audience))
            return e;
    }
    return NULL;
}

static struct entry *least_recently_used(struct cache *c)
{
    struct entry *victim = &c->entries[0];
    for (int i = 0; i < SB_JWT_CACHE_ENTRIES; i++) {
        struct entry *e = &c->entries[i];
        if (!e->block)
            return e;
        if (e->last_used < victim->last_used)
            victim = e;
    }
    return victim;
}

/* Copies s (may be NULL) into the block at *at; returns the copy. */
static const char *put(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = memcpy(*at, s, n);
    *at += n;
    return copy;
}

static size_t size_of(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static void remember(struct cache *c, const char *token, size_t len, unsigned long hash, const char *secret,
                     const char *audience, const struct sb_jwt_claims *claims)
{
    const struct sb_jwt_claims *k = claims;
    size_t need = len + 1 + size_of(secret) + size_of(audience) + size_of(k->json) + size_of(k->role) +
                  size_of(k->sub) + size_of(k->email) + size_of(k->session_id);
    char *block = malloc(need);
    if (!block)
        return;
    struct entry *e = least_recently_used(c);
    forget_entry(e);
    char *at = block;
    e->block = block;
    e->hash = hash;
    e->token_len = len;
    e->token = put(&at, token);
    e->secret = put(&at, secret);
    e->audience = put(&at, audience);
    e->claims = *k;
    e->claims.json = put(&at, k->json);
    e->claims.role = put(&at, k->role);
    e->claims.sub = put(&at, k->sub);
    e->claims.email = put(&at, k->email);
    e->claims.session_id = put(&at, k->session_id);
    e->last_used = ++c->clock;
}

static void copy_claims(struct sb_arena *arena, const struct sb_jwt_claims *from, struct sb_jwt_claims *to)
{
    *to = *from;
    to->json = from->json ? sb_arena_strdup(arena, from->json) : NULL;
    to->role = from->role ? sb_arena_strdup(arena, from->role) : NULL;
    to->sub = from->sub ? sb_arena_strdup(arena, from->sub) : NULL;
    to->email = from->email ? sb_arena_strdup(arena, from->email) : NULL;
    to->session_id = from->session_id ? sb_arena_strdup(arena, from->session_id) : NULL;
}

enum sb_jwt_status sb_jwt_verify_cached(struct sb_arena *arena, const char *secret, const char *token,
                                        const char *audience, struct sb_jwt_claims *out)
{
    struct cache *c = cache_of_this_thread();
    size_t len = strlen(token);
    if (!c || len > SB_JWT_CACHE_MAX_TOKEN)
        return sb_jwt_verify(arena, secret, token, audience, out);
    unsigned long hash = hash_bytes(token, len);
    struct entry *e = find(c, token, len, hash, secret, audience);
    if (e && (e->claims.exp == 0 || e->claims.exp > sb_jwt_now())) {
        e->last_used = ++c->clock;
        c->hits++;
        copy_claims(arena, &e->claims, out);
        return SB_JWT_OK;
    }
    if (e)
        forget_entry(e);             /* expired since: the full check below says so */
    enum sb_jwt_status status = sb_jwt_verify(arena, secret, token, audience, out);
    if (status == SB_JWT_OK)
        remember(c, token, len, hash, secret, audience, out);
    return status;
}

unsigned long sb_jwt_cache_hits(void)
{
    return thread_cache ? thread_cache->hits : 0;
}

void sb_jwt_cache_clear(void)
{
    if (!thread_cache)
        return;
    free_cache(thread_cache);
    thread_cache = NULL;
    pthread_setspecific(cache_key, NULL);
}
