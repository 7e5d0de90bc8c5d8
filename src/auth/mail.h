/*
 * mail: sends one plain-text mail over SMTP (SB_SMTP_HOST:SB_SMTP_PORT, optional
 * SB_SMTP_USER/SB_SMTP_PASS, STARTTLS when the server offers it) with libcurl, blocking the
 * calling thread until the server accepted or refused it, or 30 seconds passed. Only the
 * outbox's sender thread calls it (outbox.h): no request ever waits for an SMTP server.
 * libcurl is set up on the first mail, once (pthread_once).
 */
#ifndef SB_AUTH_MAIL_H
#define SB_AUTH_MAIL_H

#include "util/arena.h"
#include "util/config.h"

enum sb_mail_outcome {
    SB_MAIL_SENT,       /* the SMTP server took the mail */
    SB_MAIL_RETRY,      /* no answer, no connection, or a 4xx: worth trying again later */
    SB_MAIL_REFUSED,    /* a 5xx: the server will not take this mail (or login), ever */
};

/* to must be a checked address (no spaces or line breaks). On failure *error receives a short
 * reason for the log and the outbox (libcurl's message and the SMTP code; never the mail). */
enum sb_mail_outcome sb_mail_send(const struct sb_config *config, struct sb_arena *arena, const char *to,
                                  const char *subject, const char *text, const char **error);

#endif
