/*
 * server: the HTTP front door (libmicrohttpd: one epoll daemon per worker thread, fed by the
 * listener thread, listener.h).
 *
 * sb_server_start returns a running server that owns its threads and sockets until
 * sb_server_stop, which stops accepting, lets in-flight requests finish (up to a grace
 * period) and frees everything. Routes must be registered (router.h) before the start.
 */
#ifndef SB_HTTP_SERVER_H
#define SB_HTTP_SERVER_H

#include "util/config.h"

struct sb_server;

/* Returns NULL and prints why on failure. config must outlive the server; with SB_PORT=0 the
 * server records the port it bound in it (sb_config_set_bound_port) before accepting. */
struct sb_server *sb_server_start(struct sb_config *config);
/* The port actually bound (useful when the config asked for port 0). */
int sb_server_port(const struct sb_server *server);
void sb_server_stop(struct sb_server *server);

#endif
