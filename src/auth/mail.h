/*
 * mail: sends one plain-text mail over SMTP (SB_SMTP_HOST:SB_SMTP_PORT, optional
 * SB_SMTP_USER/SB_SMTP_PASS, STARTTLS when the server offers it) with libcurl, blocking the
 * calling worker until the server accepted it or 10 seconds passed. libcurl is set up on the
 * first mail, once (pthread_once), so a server that sends none does not carry its set-up.
 */
#ifndef SB_AUTH_MAIL_H
#define SB_AUTH_MAIL_H

#include <stdbool.h>

#include "util/arena.h"
#include "util/config.h"

/* to must be a checked address (no spaces or line breaks). False when no SMTP server is
 * configured or the server did not accept the mail (the reason is logged). */
bool sb_mail_send(const struct sb_config *config, struct sb_arena *arena, const char *to, const char *subject,
                  const char *text);

#endif
