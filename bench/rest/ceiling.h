/*
 * ceiling.h: what the HTTP front ends of the ceiling prototype share (see ceiling.c). The
 * PostgreSQL side is the same for every front: nonblocking libpq connections in pipeline
 * mode, each request's set-up + statement + Sync queued on its connection (queue_request),
 * results read and matched to requests in order (drain_results), which then calls the
 * front's answer function. A front only parses HTTP, watches the sockets with its own event
 * loop, and writes the response.
 */
#ifndef CEILING_H
#define CEILING_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define MAX_PG 16
#define IN_BYTES 16384

enum kind { HTTP, PG, MHD };

/* The HTTP layer in front: ceiling.c's own epoll loop and parser, libmicrohttpd with
 * suspended requests (ceiling.c), h2o's evloop library (ceiling_h2o.c), libuv with
 * picohttpparser (ceiling_uv.c). */
enum front { FRONT_EPOLL, FRONT_MHD, FRONT_H2O, FRONT_UV };

struct http;

struct pg {
    enum kind kind;
    PGconn *conn;
    int fd;
    bool watching_out;
    struct http *head, *tail;     /* requests sent, in the order their results will come */
    int in_flight;
    char corked[65536];           /* batching variant: what libpq sent during this wake-up */
    size_t corked_len;
    void *watcher;                /* h2o: the h2o_socket_t; libuv: the uv_poll_t */
};

struct http {
    enum kind kind;
    int fd;
    bool closed;                  /* the client went away while its request was in flight */
    bool busy;                    /* a request is in flight */
    bool created;                 /* POST: answer 201 */
    struct pg *pg;
    struct http *next;            /* in pg's queue */
    char in[IN_BYTES];
    size_t len;
    char *body;                   /* the query's JSON text (malloc) or NULL */
    bool failed;
    struct MHD_Connection *mconn; /* libmicrohttpd: the suspended connection */
    bool answered;                /* libmicrohttpd: body is ready, resumed */
    size_t upload_len;
    void *front_req;              /* h2o: the h2o_req_t waiting for its answer */
    void *front_conn;             /* libuv: the connection (struct uv_conn) */
};

struct worker {
    int ep;
    struct pg pgs[MAX_PG];
    int npg;
    int next_pg;
    pthread_t thread;
    struct MHD_Daemon *daemon;    /* libmicrohttpd variant */
    enum kind mhd_marker;
    bool resumed;
};

extern __thread struct worker *current_worker;

void open_pg(struct pg *p);
void queue_request(struct pg *p, struct http *h, bool insert, const char *param);
void drain_results(struct pg *p);
void free_http(struct http *h);
const char *date_header(void);
/* studybase's response status line and headers for h, whose body is blen bytes. */
int format_response_head(char *out, size_t size, const struct http *h, size_t blen);
const char *response_body(const struct http *h);

/* The fronts in their own files: each runs one worker's loop on the calling thread, taking
 * connections from the listening socket ls itself. */
void answer_h2o(struct http *h);
void serve_h2o(struct worker *w, int ls);
void answer_uv(struct http *h);
void serve_uv(struct worker *w, int ls);

#endif
