/*
 * ceiling: the cheapest HTTP server in front of PostgreSQL this machine allows, to measure how
 * close ANY server can come to pgbench on bench/rest's get_one and insert_one. Not part of
 * studybase; built and run by bench/rest/ceiling.sh.
 *
 * Shape: T worker threads, each one epoll loop owning its HTTP connections AND P PostgreSQL
 * connections (libpq, nonblocking, always in pipeline mode, PQsocket in the epoll set). An
 * HTTP connection is tied to one of its worker's PostgreSQL connections; with fewer
 * PostgreSQL connections than HTTP connections, several requests' transactions are pipelined
 * on one PostgreSQL connection, each ended by its own Sync (an error aborts only its own).
 * Per request it sends what studybase sends: the prepared role/claims set-up statement, the
 * prepared query, one Sync; and answers with the query's JSON text and studybase's headers.
 * libpq 15's PQpipelineSync flushes on every call, so each request is one send to
 * PostgreSQL, as for pgbench; the results of requests that completed together are taken in
 * one read, and one wake-up of a worker serves every connection that is ready. The batching
 * variant (threads given as "<T>b") sends each PostgreSQL connection's requests of one
 * wake-up with one send (see send below); "<T>m" puts libmicrohttpd in front instead, each
 * request suspended while its statements run (each HTTP connection tied to one of the
 * worker's PostgreSQL connections, in turn, as in the hand-written loop). "1h" puts h2o's
 * evloop library in front (ceiling_h2o.c), "1u" libuv with picohttpparser (ceiling_uv.c):
 * one thread each, the same PostgreSQL side (ceiling.h), so only the HTTP layer differs.
 *
 * What it leaves out (cheap in studybase already, or not on the measured path): JWT
 * verification (studybase caches verified tokens, ~4k instructions per hit), URL grammar and
 * SQL generation (~8.5k), the request log. It reads the id of `?id=eq.<id>` and the body of a
 * POST; the SQL text comes from files captured from studybase itself.
 *
 *   ceiling <port> <threads>[m|h|u][b] <pg connections per thread> <get.sql> <insert.sql> <claims> <sub>
 * with DATABASE_URL in the environment (port 0: any). Prints "listening on <port>" once ready.
 */
#define _GNU_SOURCE
#include "ceiling.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static enum front front = FRONT_EPOLL;
static bool batch_sends;             /* shape TbxP: one send per PostgreSQL connection per wake-up */
__thread struct worker *current_worker;

/* The batching variant. libpq 15's PQpipelineSync flushes at every call (libpq 17 has
 * PQsendPipelineSync, which does not), so requests read in one wake-up would each cost a
 * send. This definition of send(2) takes the place of libc's for libpq (the executable's
 * symbol wins): while a worker runs, bytes for its PostgreSQL sockets are kept, and
 * send_corked writes each socket's bytes with one send at the end of the wake-up. */
ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    struct worker *w = current_worker;
    for (int i = 0; batch_sends && w && i < w->npg; i++) {
        struct pg *p = &w->pgs[i];
        if (p->fd == fd && p->corked_len + len <= sizeof p->corked) {
            memcpy(p->corked + p->corked_len, buf, len);
            p->corked_len += len;
            return (ssize_t)len;
        }
    }
    return sendto(fd, buf, len, flags, NULL, 0);
}

static void send_corked(struct worker *w)
{
    for (int i = 0; i < w->npg; i++) {
        struct pg *p = &w->pgs[i];
        size_t done = 0;
        while (done < p->corked_len) {   /* a few KB to an idle socket: written at once */
            ssize_t n = sendto(p->fd, p->corked + done, p->corked_len - done, MSG_NOSIGNAL, NULL, 0);
            if (n <= 0) {
                perror("send to PostgreSQL");
                exit(1);
            }
            done += (size_t)n;
        }
        p->corked_len = 0;
    }
}

static const char *conninfo, *claims, *sub, *get_sql, *insert_sql;
static struct worker *workers;
static int nworkers, pg_per_worker;

static const char setup_sql[] =
    "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true),"
    " set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true),"
    " set_config('statement_timeout', $4, true)";

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = 0;
    return strdup(buf);
}

static void die_pg(PGconn *c, const char *what)
{
    fprintf(stderr, "%s: %s", what, PQerrorMessage(c));
    exit(1);
}

void open_pg(struct pg *p)
{
    p->kind = PG;
    const char *keys[] = { "dbname", "application_name", NULL };
    const char *values[] = { conninfo, "ceiling", NULL };
    p->conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(p->conn) != CONNECTION_OK)
        die_pg(p->conn, "connect");
    PGresult *r;
    r = PQprepare(p->conn, "setup", setup_sql, 4, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die_pg(p->conn, "prepare setup");
    PQclear(r);
    r = PQprepare(p->conn, "get", get_sql, 1, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die_pg(p->conn, "prepare get");
    PQclear(r);
    r = PQprepare(p->conn, "insert", insert_sql, 1, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die_pg(p->conn, "prepare insert");
    PQclear(r);
    if (PQsetnonblocking(p->conn, 1) != 0 || PQenterPipelineMode(p->conn) != 1)
        die_pg(p->conn, "pipeline");
    p->fd = PQsocket(p->conn);
}

static void watch_pg_input(struct worker *w, struct pg *p)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };
    epoll_ctl(w->ep, EPOLL_CTL_ADD, p->fd, &ev);
}

static void watch_pg_output(struct worker *w, struct pg *p, bool on)
{
    if (p->watching_out == on)
        return;
    p->watching_out = on;
    struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = p };
    epoll_ctl(w->ep, EPOLL_CTL_MOD, p->fd, &ev);
}

void free_http(struct http *h)
{
    free(h->body);
    free(h);
}

static void close_http(struct worker *w, struct http *h)
{
    epoll_ctl(w->ep, EPOLL_CTL_DEL, h->fd, NULL);
    close(h->fd);
    h->fd = -1;
    if (h->busy)
        h->closed = true;    /* freed when its result arrives */
    else
        free_http(h);
}

const char *date_header(void)
{
    static __thread char text[64];
    static __thread time_t made;
    time_t now = time(NULL);
    if (now != made) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        made = now;
    }
    return text;
}

const char *response_body(const struct http *h)
{
    return h->body ? h->body : "{\"message\":\"failed\"}";
}

/* The response studybase gives, with the same headers. */
int format_response_head(char *out, size_t size, const struct http *h, size_t blen)
{
    static __thread unsigned long counter;
    return snprintf(out, size,
                    "HTTP/1.1 %s\r\nDate: %s\r\nContent-Type: application/json; charset=utf-8\r\n"
                    "Content-Range: 0-0/*\r\n%sX-Request-Id: ceiling-%06lu\r\n"
                    "Access-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: Content-Range, "
                    "Content-Location, Location, Preference-Applied, Range-Unit, X-Supabase-Api-Version, "
                    "X-Request-Id, ETag, Content-Disposition, X-Total-Count, Link\r\nContent-Length: %zu\r\n\r\n",
                    h->failed ? "500 Internal Server Error" : h->created ? "201 Created" : "200 OK",
                    date_header(), h->created ? "Preference-Applied: return=representation\r\n" : "",
                    counter++, blen);
}

static void respond_epoll(struct http *h)
{
    char head[1024];
    const char *body = response_body(h);
    size_t blen = strlen(body);
    int n = format_response_head(head, sizeof head, h, blen);
    struct iovec iov[2] = { { head, (size_t)n }, { (void *)body, blen } };
    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
    ssize_t sent = sendmsg(h->fd, &msg, MSG_NOSIGNAL);
    if (sent != (ssize_t)(n + blen))   /* a 0.5 KB answer to an idle keep-alive socket: never short here */
        fprintf(stderr, "short write %zd\n", sent);
    free(h->body);
    h->body = NULL;
    h->failed = false;
}

/* Queues one request's set-up + statement + Sync on the connection's pipeline. */
void queue_request(struct pg *p, struct http *h, bool insert, const char *param)
{
    const char *setup[4] = { "authenticated", claims, sub, "8000" };
    if (PQsendQueryPrepared(p->conn, "setup", 4, setup, NULL, NULL, 0) != 1 ||
        PQsendQueryPrepared(p->conn, insert ? "insert" : "get", 1, &param, NULL, NULL, 0) != 1 ||
        PQpipelineSync(p->conn) != 1)
        die_pg(p->conn, "send");
    h->busy = true;
    h->created = insert;
    h->next = NULL;
    if (p->tail)
        p->tail->next = h;
    else
        p->head = h;
    p->tail = h;
    p->in_flight++;
}

static const char *find_header(const char *head, const char *end, const char *name)
{
    size_t nl = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n"))
        if (strncasecmp(line + 2, name, nl) == 0)
            return line + 2 + nl;
    return NULL;
}

/* Takes every complete request out of h->in (one per connection is in flight at a time). */
static void parse_requests(struct http *h)
{
    if (h->busy || h->len == 0)
        return;
    h->in[h->len] = 0;
    char *end = strstr(h->in, "\r\n\r\n");
    if (!end)
        return;
    size_t head_len = (size_t)(end + 4 - h->in);
    bool insert = strncmp(h->in, "POST ", 5) == 0;
    char param[4096];
    size_t consumed = head_len;
    if (insert) {
        const char *cl = find_header(h->in, end, "Content-Length:");
        size_t blen = cl ? strtoul(cl, NULL, 10) : 0;
        if (h->len < head_len + blen || blen >= sizeof param)
            return;
        memcpy(param, h->in + head_len, blen);
        param[blen] = 0;
        consumed += blen;
    } else {
        const char *id = strstr(h->in, "id=eq.");
        size_t n = 0;
        if (id) {
            id += 6;
            while (id[n] && id[n] != '&' && id[n] != ' ' && n < 64)
                n++;
            memcpy(param, id, n);
        }
        param[n] = 0;
    }
    memmove(h->in, h->in + consumed, h->len - consumed);
    h->len -= consumed;
    queue_request(h->pg, h, insert, param);
}

static void on_http(struct worker *w, struct http *h)
{
    ssize_t n = recv(h->fd, h->in + h->len, IN_BYTES - 1 - h->len, 0);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        close_http(w, h);
        return;
    }
    h->len += (size_t)n;
    parse_requests(h);
}

static void resume_mhd(struct http *h);

/* A request's statements are done: hand its answer to the front in use. */
static void answer(struct http *h)
{
    switch (front) {
    case FRONT_EPOLL:
        respond_epoll(h);
        parse_requests(h);    /* a request that arrived while this one ran */
        break;
    case FRONT_MHD:
        resume_mhd(h);
        break;
    case FRONT_H2O:
        answer_h2o(h);
        break;
    case FRONT_UV:
        answer_uv(h);
        break;
    }
}

/* Reads every result that has arrived; answers each request whose Sync has come back. */
void drain_results(struct pg *p)
{
    int nulls = 0;
    while (p->head && !PQisBusy(p->conn)) {
        PGresult *r = PQgetResult(p->conn);
        if (!r) {                     /* end of one statement's results */
            if (++nulls > 2)
                break;
            continue;
        }
        nulls = 0;
        struct http *h = p->head;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_TUPLES_OK && PQnfields(r) == 3 && PQntuples(r) == 1)
            h->body = strdup(PQgetvalue(r, 0, 2));
        else if (st == PGRES_FATAL_ERROR) {
            h->failed = true;
            fprintf(stderr, "error: %s", PQresultErrorMessage(r));
        } else if (st == PGRES_PIPELINE_SYNC) {
            p->head = h->next;
            if (!p->head)
                p->tail = NULL;
            p->in_flight--;
            h->busy = false;
            if (h->closed)
                free_http(h);
            else
                answer(h);    /* last use of h here: the front may free it */
        }
        PQclear(r);
    }
}

static void on_pg(struct worker *w, struct pg *p, unsigned events)
{
    if (events & EPOLLOUT)
        watch_pg_output(w, p, PQflush(p->conn) == 1);
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (PQconsumeInput(p->conn) != 1)
            die_pg(p->conn, "read");
        drain_results(p);
    }
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[64];
    current_worker = w;
    for (;;) {
        int timeout = -1;
        MHD_UNSIGNED_LONG_LONG mhd_timeout;
        if (w->daemon && MHD_get_timeout(w->daemon, &mhd_timeout) == MHD_YES)
            timeout = (int)mhd_timeout;
        int n = epoll_wait(w->ep, evs, 64, timeout);
        bool run_mhd = n == 0;
        w->resumed = false;
        for (int i = 0; i < n; i++) {
            enum kind *k = evs[i].data.ptr;
            if (*k == HTTP)
                on_http(w, (struct http *)k);
            else if (*k == MHD)
                run_mhd = true;
            else
                on_pg(w, (struct pg *)k, evs[i].events);
        }
        if (w->daemon && (run_mhd || w->resumed))
            MHD_run(w->daemon);
        for (int i = 0; i < w->npg; i++)
            if (!w->pgs[i].watching_out && PQflush(w->pgs[i].conn) == 1)
                watch_pg_output(w, &w->pgs[i], true);
        if (batch_sends)
            send_corked(w);
    }
    return NULL;
}

/* ---- the libmicrohttpd variant: studybase's HTTP layer, requests suspended while their
 * statements run on the worker's pipelined connections ---- */

static void resume_mhd(struct http *h)
{
    h->answered = true;
    MHD_resume_connection(h->mconn);
    current_worker->resumed = true;
}

/* Ties each new connection to one of the worker's PostgreSQL connections, in turn. */
static void mhd_connection_started(void *cls, struct MHD_Connection *conn, void **socket_context,
                                   enum MHD_ConnectionNotificationCode code)
{
    struct worker *w = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        *socket_context = &w->pgs[w->next_pg++ % w->npg];
}

static enum MHD_Result mhd_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    struct http *h = *req_cls;
    if (!h) {
        h = calloc(1, sizeof *h);
        h->kind = HTTP;
        h->mconn = conn;
        *req_cls = h;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size < IN_BYTES - 1 - h->upload_len ? *upload_data_size : IN_BYTES - 1 - h->upload_len;
        memcpy(h->in + h->upload_len, upload_data, n);
        h->upload_len += n;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (h->answered) {
        const char *body = response_body(h);
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
        static __thread unsigned long counter;
        char id[32];
        snprintf(id, sizeof id, "ceiling-%06lu", counter++);
        MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
        MHD_add_response_header(r, "Content-Range", "0-0/*");
        if (h->created)
            MHD_add_response_header(r, "Preference-Applied", "return=representation");
        MHD_add_response_header(r, "X-Request-Id", id);
        MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(r, "Access-Control-Expose-Headers",
                                "Content-Range, Content-Location, Location, Preference-Applied, Range-Unit, "
                                "X-Supabase-Api-Version, X-Request-Id, ETag, Content-Disposition, X-Total-Count, Link");
        enum MHD_Result ret = MHD_queue_response(conn, h->failed ? 500 : h->created ? 201 : 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    bool insert = strcmp(method, "POST") == 0;
    const char *param;
    if (insert) {
        h->in[h->upload_len] = 0;
        param = h->in;
    } else {
        const char *id = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "id");
        param = id && strncmp(id, "eq.", 3) == 0 ? id + 3 : "";
    }
    struct pg *p = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT)->socket_context;
    queue_request(p, h, insert, param);
    MHD_suspend_connection(conn);
    return MHD_YES;
}

static void mhd_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    struct http *h = *req_cls;
    if (h)
        free_http(h);
    *req_cls = NULL;
}

static void start_mhd(struct worker *w)
{
    w->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET |
                                     MHD_USE_ERROR_LOG, 0, NULL, NULL, mhd_access, w,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
                                 MHD_OPTION_NOTIFY_COMPLETED, mhd_completed, NULL,
                                 MHD_OPTION_NOTIFY_CONNECTION, mhd_connection_started, w, MHD_OPTION_END);
    if (!w->daemon) {
        fprintf(stderr, "MHD_start_daemon failed\n");
        exit(1);
    }
    w->mhd_marker = MHD;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &w->mhd_marker };
    epoll_ctl(w->ep, EPOLL_CTL_ADD, MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd, &ev);
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: ceiling port threads[m|h|u][b] pg-per-thread get.sql insert.sql claims sub\n");
        return 2;
    }
    int port = atoi(argv[1]);
    nworkers = atoi(argv[2]);
    pg_per_worker = atoi(argv[3]);
    if (strchr(argv[2], 'm'))
        front = FRONT_MHD;
    else if (strchr(argv[2], 'h'))
        front = FRONT_H2O;
    else if (strchr(argv[2], 'u'))
        front = FRONT_UV;
    batch_sends = strchr(argv[2], 'b') != NULL;
    get_sql = read_file(argv[4]);
    insert_sql = read_file(argv[5]);
    claims = argv[6];
    sub = argv[7];
    conninfo = getenv("DATABASE_URL");
    if (nworkers < 1 || pg_per_worker < 1 || pg_per_worker > MAX_PG || !conninfo)
        return 2;
    bool own_loop = front == FRONT_H2O || front == FRONT_UV;
    if (own_loop && (nworkers != 1 || batch_sends)) {
        fprintf(stderr, "the h2o and libuv fronts run one thread, without batching\n");
        return 2;
    }

    workers = calloc((size_t)nworkers, sizeof *workers);
    for (int i = 0; i < nworkers; i++) {
        struct worker *w = &workers[i];
        w->npg = pg_per_worker;
        for (int j = 0; j < w->npg; j++)
            open_pg(&w->pgs[j]);
        if (own_loop)
            continue;
        w->ep = epoll_create1(0);
        for (int j = 0; j < w->npg; j++)
            watch_pg_input(w, &w->pgs[j]);
        if (front == FRONT_MHD)
            start_mhd(w);
        pthread_create(&w->thread, NULL, work, w);
    }

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 128) != 0) {
        perror("listen");
        return 1;
    }
    socklen_t alen = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &alen);
    printf("listening on %d\n", ntohs(a.sin_port));
    fflush(stdout);
    if (front == FRONT_H2O)
        serve_h2o(&workers[0], ls);
    if (front == FRONT_UV)
        serve_uv(&workers[0], ls);
    /* Connections go to the workers in turn, and within a worker to its PostgreSQL
     * connections in turn. */
    for (unsigned long count = 0;; count++) {
        int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0)
            continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct worker *w = &workers[count % (unsigned long)nworkers];
        if (front == FRONT_MHD) {
            struct sockaddr_in peer;
            socklen_t plen = sizeof peer;
            getpeername(fd, (struct sockaddr *)&peer, &plen);
            if (MHD_add_connection(w->daemon, fd, (struct sockaddr *)&peer, plen) != MHD_YES)
                close(fd);
            continue;
        }
        struct http *h = calloc(1, sizeof *h);
        h->kind = HTTP;
        h->fd = fd;
        h->pg = &w->pgs[w->next_pg++ % w->npg];
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = h };
        epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
    }
}
