/*
 * keys: fixed claims, signed by jwt.c. iat is 2025-01-01, exp is 2034-12-17 (as Supabase's
 * local keys, valid for about ten years).
 */
#include "auth/keys.h"

#include "auth/jwt.h"

static char *key_for_role(struct sb_arena *arena, const char *secret, const char *role)
{
    char *claims = sb_arena_printf(arena, "{\"iss\":\"studybase\",\"role\":\"%s\",\"iat\":1735689600,"
                                          "\"exp\":2050000000}", role);
    return sb_jwt_sign(arena, secret, claims);
}

char *sb_keys_anon(struct sb_arena *arena, const char *secret)
{
    return key_for_role(arena, secret, "anon");
}

char *sb_keys_service_role(struct sb_arena *arena, const char *secret)
{
    return key_for_role(arena, secret, "service_role");
}
