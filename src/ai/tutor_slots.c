/*
 * tutor_slots: a small table of users with answers in progress, under one mutex (tutor_slots.h).
 * Entries are removed when their count drops to zero, so the table holds only the users being
 * answered right now.
 */
#include "ai/tutor_slots.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct holder {
    struct holder *next;
    int held;
    char user[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct holder *holders;

static struct holder **find(const char *user)
{
    struct holder **h = &holders;
    while (*h && strcmp((*h)->user, user) != 0)
        h = &(*h)->next;
    return h;
}

static void give_back(void *arg)
{
    struct holder *mine = arg;
    pthread_mutex_lock(&lock);
    if (--mine->held == 0) {
        *find(mine->user) = mine->next;
        free(mine);
    }
    pthread_mutex_unlock(&lock);
}

bool sb_tutor_slot_take(struct sb_arena *arena, const char *user, int max)
{
    pthread_mutex_lock(&lock);
    struct holder **h = find(user);
    struct holder *mine = *h;
    bool taken = false;
    if (!mine) {
        size_t len = strlen(user) + 1;
        mine = malloc(sizeof *mine + len);
        if (mine) {
            memcpy(mine->user, user, len);
            mine->held = 0;
            mine->next = holders;
            holders = mine;
        }
    }
    if (mine && mine->held < max) {
        mine->held++;
        taken = true;
    }
    pthread_mutex_unlock(&lock);
    if (taken)
        sb_arena_defer(arena, give_back, mine);
    return taken;
}

int sb_tutor_slots_held(const char *user)
{
    pthread_mutex_lock(&lock);
    struct holder *h = *find(user);
    int held = h ? h->held : 0;
    pthread_mutex_unlock(&lock);
    return held;
}
