/*
 * keys: the project's two API keys, as Supabase hands them out: long-lived HS256 JWTs with
 * role anon and role service_role, signed with the project's secret. They are derived from
 * the secret alone (fixed iat and exp), so every process of a project prints the same keys.
 * Like access tokens they carry no "purpose" claim: they are API tokens (see jwt.h).
 */
#ifndef SB_AUTH_KEYS_H
#define SB_AUTH_KEYS_H

#include "util/arena.h"

char *sb_keys_anon(struct sb_arena *arena, const char *secret);
char *sb_keys_service_role(struct sb_arena *arena, const char *secret);

#endif
