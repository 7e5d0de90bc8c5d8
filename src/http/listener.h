/*
 * listener: the server's listening socket, and one thread that accepts connections and hands
 * each to the worker (an event loop thread with its libmicrohttpd daemon) holding the fewest.
 *
 * Why not libmicrohttpd's own thread pool: there every worker watches the one listening
 * socket, and whichever wakes first accepts every pending connection (up to ten at a time).
 * A client opening four connections at once, as wrk or a browser does, was often served by
 * one or two workers, and since a worker waits for its own database connection while it
 * runs a request, those four connections took turns on one or two database connections
 * while the other workers sat idle (bench/rest/RESULTS.md, 2026-11-25 15:00).
 *
 * The listener also enforces the limits that libmicrohttpd enforced per daemon: at most
 * max_connections open in all, at most max_per_ip from one address; a connection past either
 * is closed at once. Workers report closed connections with sb_listener_closed.
 * The address is IPv4 (the server binds one).
 */
#ifndef SB_HTTP_LISTENER_H
#define SB_HTTP_LISTENER_H

#include <netinet/in.h>

struct sb_listener;

/* Gives an accepted connection (fd, non-blocking) to worker; runs on the listener's thread,
 * so it only queues the connection for the worker. From then on the worker owns fd, and
 * reports its closing with sb_listener_closed (also when it could not take it). */
typedef void sb_listener_hand_over_fn(void *cls, int worker, int fd, const struct sockaddr_in *client);

/* Binds and listens on addr (port 0: any free port), stores the listener in *out, calls
 * bound(cls, port) if given (before any connection is accepted), then starts accepting for
 * the workers. Returns -1 (errno set, *out NULL) when the socket cannot be bound. */
int sb_listener_start(const struct sockaddr_in *addr, sb_listener_hand_over_fn *hand_over,
                      void (*bound)(void *cls, int port), void *cls, int worker_count, int max_connections,
                      int max_per_ip, struct sb_listener **out);

/* The port bound. */
int sb_listener_port(const struct sb_listener *listener);

/* A connection that worker was given has closed (from its connection notification). */
void sb_listener_closed(struct sb_listener *listener, int worker, const struct sockaddr *client);

/* Stops accepting and closes the socket; connections already handed over stay with their
 * workers, which may still report closings until they are stopped. */
void sb_listener_stop(struct sb_listener *listener);

/* Frees the listener, once stopped and once the workers are stopped too. */
void sb_listener_free(struct sb_listener *listener);

#endif
