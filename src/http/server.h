/*
 * server: the HTTP front door (libmicrohttpd, epoll, a pool of worker threads).
 *
 * sb_server_start returns a running server that owns its threads and sockets until
 * sb_server_stop, which lets in-flight requests finish and frees everything.
 */
#ifndef SB_HTTP_SERVER_H
#define SB_HTTP_SERVER_H

struct sb_server_config {
    const char *host; /* address to bind, e.g. "127.0.0.1" */
    int port;
    int threads;
};

struct sb_server;

/* Returns NULL and prints why on failure. */
struct sb_server *sb_server_start(const struct sb_server_config *config);
void sb_server_stop(struct sb_server *server);

#endif
