/*
 * ratelimit: a fixed table of buckets behind one mutex (the work under it is a few loads and
 * stores, far cheaper than the bcrypt or database call the limited request makes).
 */
#include "auth/ratelimit.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define SLOTS 16384

struct bucket {
    uint64_t key_hash;   /* 0: unused */
    double tokens;
    double updated;      /* monotonic seconds */
};

static struct bucket buckets[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

bool sb_ratelimit_take(const char *key, int limit, int window_s)
{
    uint64_t h = hash_key(key);
    double now = now_seconds();
    double rate = (double)limit / (double)window_s;
    pthread_mutex_lock(&lock);
    struct bucket *b = &buckets[h % SLOTS];
    if (b->key_hash != h) {
        /* a new key: start full, unless the slot's previous key is still being held back */
        double refilled = b->key_hash ? b->tokens + (now - b->updated) * rate : limit;
        b->key_hash = h;
        b->tokens = refilled < limit ? refilled : limit;
    } else {
        b->tokens += (now - b->updated) * rate;
        if (b->tokens > limit)
            b->tokens = limit;
    }
    b->updated = now;
    bool allowed = b->tokens >= 1.0;
    if (allowed)
        b->tokens -= 1.0;
    pthread_mutex_unlock(&lock);
    return allowed;
}
