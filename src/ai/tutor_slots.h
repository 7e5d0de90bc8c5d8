/*
 * tutor_slots: how many tutor answers each user has in progress in this process, so one
 * student cannot hold many model streams at once (SB_TUTOR_MAX_STREAMS_PER_USER). A slot is
 * taken for a request and given back when the request's arena is freed, whatever happened.
 */
#ifndef SB_AI_TUTOR_SLOTS_H
#define SB_AI_TUTOR_SLOTS_H

#include <stdbool.h>

#include "util/arena.h"

/* Takes one of user's max slots until arena is freed; false when all are taken. */
bool sb_tutor_slot_take(struct sb_arena *arena, const char *user, int max);

/* The slots user holds now (for tests). */
int sb_tutor_slots_held(const char *user);

#endif
