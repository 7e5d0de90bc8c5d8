/*
 * password: bcrypt password hashes as GoTrue stores them ($2b$, cost 10), through libxcrypt.
 *
 * A hash made here verifies in GoTrue and a GoTrue hash ($2a$ or $2b$) verifies here. The
 * returned hash is owned by the arena. Passwords are never logged or kept.
 */
#ifndef SB_AUTH_PASSWORD_H
#define SB_AUTH_PASSWORD_H

#include <stdbool.h>

#include "util/arena.h"

#define SB_PASSWORD_COST 10
#define SB_PASSWORD_MAX_BYTES 72   /* bcrypt ignores what follows: longer passwords are refused */

/* A new "$2b$10$..." hash of password with a fresh random salt, or NULL on failure. */
char *sb_password_hash(struct sb_arena *arena, const char *password);

/* True for a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters), as imported users carry. */
bool sb_password_is_hash(const char *hash);

/* True when password matches hash (bcrypt hashes only; anything else never matches). */
bool sb_password_matches(const char *password, const char *hash);

/* Spends the time of one verification, for unknown users, so timing does not tell them apart. */
void sb_password_waste_time(const char *password);

#endif
