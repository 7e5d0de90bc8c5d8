/*
 * migrate: applies the SQL the binary carries (db/platform, then db/migrations) to a database.
 *
 * Each file runs in its own transaction and is recorded, with the SHA-256 of its text, in
 * studybase.schema_migrations. `up` refuses to run anything if an applied file has changed
 * since it was applied, and is a no-op when everything is applied. `down` runs the app
 * rollback (a migrations/ file named NNN_rollback.sql) and forgets the app migrations, so `up` works again;
 * the platform schema stays. Reports go to `out`, errors to stderr.
 */
#ifndef SB_DB_MIGRATE_H
#define SB_DB_MIGRATE_H

#include <stdio.h>

enum sb_migrate_action { SB_MIGRATE_UP, SB_MIGRATE_DOWN, SB_MIGRATE_STATUS };

/* Returns 0 on success, 1 on failure (the message was printed). */
int sb_migrate(const char *conninfo, enum sb_migrate_action action, FILE *out);

#endif
