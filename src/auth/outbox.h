/*
 * outbox: the thread that sends the mail the auth service queues in auth.mail_outbox
 * (db/platform/006_mail_outbox.sql), so that no request waits for an SMTP server.
 *
 * A handler writes the mail's row in the same statement that sets the token the mail carries;
 * an insert notifies `auth_mail_outbox`. The sender, on a connection of its own (sb_db_open,
 * as service_role), LISTENs there and sends every due mail when notified, when the next retry
 * is due, and every 30 seconds in any case. A mail is claimed for a lease (FOR UPDATE SKIP
 * LOCKED, then a later next_attempt_at, committed at once), so several servers on one database
 * never send a mail twice at the same time and no lock is held while SMTP is talked to.
 * Sent: the row is deleted. Failed: tried again after 5, 10, 20 and 40 seconds; after the
 * fifth failure, or at once when the SMTP server refused the mail for good (5xx), the row is
 * kept with failed_at and last_error and the token it carried is void. The body is sealed
 * under a key derived from the JWT secret (tokens.h); a body the sender cannot open (the
 * secret changed) is a mail that fails at once.
 */
#ifndef SB_AUTH_OUTBOX_H
#define SB_AUTH_OUTBOX_H

#include "util/config.h"

/* Starts the sender thread, once per process (`studybase serve` calls it once the server
 * listens); does nothing when no SMTP server is configured (then nothing is queued either).
 * config must live as long as the process. */
void sb_auth_outbox_start(const struct sb_config *config);

#endif
