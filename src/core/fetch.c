/*
 * fetch: one libcurl multi handle per call, driven by the calling fiber. curl tells which
 * sockets it wants watched and when it next needs to run (its socket and timer callbacks);
 * the fiber waits for the first of those through the loop, then lets curl act, until the
 * transfer ends. While the fiber waits, its worker serves other requests.
 */
#include "core/fetch.h"

#include "core/fiber.h"
#include "core/loop.h"
#include "util/buf.h"

#include <curl/curl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>

#define SOCKETS_MAX 4            /* happy eyeballs opens two; more is unusual */
#define SECOND_SOCKET_POLL_MS 10 /* with several sockets, the others are looked at this often */

struct watched_socket {
    curl_socket_t fd;
    int what;                    /* CURL_POLL_IN, _OUT, _INOUT */
};

struct transfer {
    const struct sb_fetch_request *request;
    struct sb_buf body;
    bool stopped;                /* on_data asked to stop */
    bool cancelled;              /* the request's cancel flag turned true */
    bool too_large;              /* a whole answer passed max_body_bytes */
    struct watched_socket sockets[SOCKETS_MAX];
    int socket_count;
    long timer_ms;               /* curl's next timeout, -1: none */
};

static pthread_once_t curl_ready = PTHREAD_ONCE_INIT;
/* Each thread's connection and DNS cache, shared by its calls (a worker's fibers take turns on
 * one thread, so the share needs no locks): a provider called again reuses its connection. */
static pthread_key_t thread_share_key;

static void release_share(void *share)
{
    curl_share_cleanup(share);
}

static void initialise_curl(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_key_create(&thread_share_key, release_share);
}

/* The calling thread's share, made on first use; NULL if curl could not make one. */
static CURLSH *thread_share(void)
{
    CURLSH *share = pthread_getspecific(thread_share_key);
    if (share)
        return share;
    share = curl_share_init();
    if (!share)
        return NULL;
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    pthread_setspecific(thread_share_key, share);
    return share;
}

static size_t take_data(char *data, size_t size, size_t count, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * count;
    if (t->request->on_data) {
        if (t->request->on_data(t->request->cls, data, len) != 0) {
            t->stopped = true;
            return 0;            /* curl ends the transfer with CURLE_WRITE_ERROR */
        }
        return len;
    }
    size_t max = t->request->max_body_bytes ? t->request->max_body_bytes : SB_FETCH_MAX_BODY;
    if (t->body.len + len > max) {
        t->too_large = true;
        return 0;                /* curl ends the transfer with CURLE_WRITE_ERROR */
    }
    sb_buf_append_n(&t->body, data, len);
    return len;
}

static bool cancel_requested(struct transfer *t)
{
    if (!t->cancelled && t->request->cancel && *t->request->cancel)
        t->cancelled = true;
    return t->cancelled;
}

/* curl's progress callback: on a thread's own stack the only place a cancel is seen. */
static int check_cancel(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    return cancel_requested(arg) ? 1 : 0;
}

static int note_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *socket_data)
{
    struct transfer *t = arg;
    for (int i = 0; i < t->socket_count; i++) {
        if (t->sockets[i].fd != fd)
            continue;
        if (what == CURL_POLL_REMOVE)
            t->sockets[i] = t->sockets[--t->socket_count];
        else
            t->sockets[i].what = what;
        return 0;
    }
    if (what != CURL_POLL_REMOVE && t->socket_count < SOCKETS_MAX)
        t->sockets[t->socket_count++] = (struct watched_socket){ fd, what };
    return 0;
}

static int note_timer(CURLM *multi, long timeout_ms, void *arg)
{
    ((struct transfer *)arg)->timer_ms = timeout_ms;
    return 0;
}

static CURL *prepare(const struct sb_fetch_request *r, struct transfer *t, struct curl_slist **headers)
{
    CURL *easy = curl_easy_init();
    if (!easy)
        return NULL;
    *headers = NULL;
    for (const char *const *h = r->headers; h && *h; h++)
        *headers = curl_slist_append(*headers, *h);
    curl_easy_setopt(easy, CURLOPT_URL, r->url);
    CURLSH *share = thread_share();
    if (share)
        curl_easy_setopt(easy, CURLOPT_SHARE, share);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, take_data);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
    if (r->timeout_ms > 0)
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    if (r->cancel) {
        curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, check_cancel);
        curl_easy_setopt(easy, CURLOPT_XFERINFODATA, t);
    }
    if (r->body) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r->body);
    }
    if (r->method && strcmp(r->method, r->body ? "POST" : "GET") != 0)
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r->method);
    return easy;
}

/* Waits for what curl asked for (a socket, its timer), then lets it act. */
static void wait_and_act(CURLM *multi, struct transfer *t, int *running)
{
    int64_t deadline = t->timer_ms >= 0 ? sb_now_ms() + t->timer_ms : -1;
    if (t->socket_count > 1) {
        int64_t soon = sb_now_ms() + SECOND_SOCKET_POLL_MS;
        deadline = deadline < 0 || soon < deadline ? soon : deadline;
    }
    if (t->request->cancel) {
        int64_t check = sb_now_ms() + SB_FETCH_CANCEL_CHECK_MS;
        deadline = deadline < 0 || check < deadline ? check : deadline;
    }
    if (t->socket_count == 0) {
        if (deadline >= 0)
            sb_wait_suspend(deadline);
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, running);
        return;
    }
    struct watched_socket s = t->sockets[0];
    uint32_t events = ((s.what & CURL_POLL_IN) ? POLLIN : 0) | ((s.what & CURL_POLL_OUT) ? POLLOUT : 0);
    if (sb_wait_fd(s.fd, events, deadline) == SB_WAIT_READY)
        curl_multi_socket_action(multi, s.fd, 0, running);   /* curl finds out which way */
    else
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, running);
    for (int i = 1; i < t->socket_count; i++)
        curl_multi_socket_action(multi, t->sockets[i].fd, 0, running);
}

/* Runs the transfer from this fiber; curl's result. */
static CURLcode run_in_fiber(CURL *easy, struct transfer *t)
{
    CURLM *multi = curl_multi_init();
    if (!multi)
        return CURLE_OUT_OF_MEMORY;
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, note_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, t);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, note_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, t);
    curl_multi_add_handle(multi, easy);
    int running = 1;
    curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
    while (running && !cancel_requested(t))
        wait_and_act(multi, t, &running);
    CURLcode result = t->cancelled ? CURLE_ABORTED_BY_CALLBACK : CURLE_OK;
    int left;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(multi, &left)) != NULL)
        if (msg->msg == CURLMSG_DONE)
            result = msg->data.result;
    curl_multi_remove_handle(multi, easy);
    curl_multi_cleanup(multi);
    return result;
}

int sb_fetch(struct sb_arena *arena, const struct sb_fetch_request *request, struct sb_fetch_response *out)
{
    memset(out, 0, sizeof *out);
    pthread_once(&curl_ready, initialise_curl);
    struct transfer t = { .request = request, .timer_ms = -1 };
    sb_buf_init(&t.body, arena);
    struct curl_slist *headers;
    CURL *easy = prepare(request, &t, &headers);
    if (!easy) {
        out->error = "out of memory";
        return -1;
    }
    bool in_fiber = sb_fiber_current() && sb_loop_current();
    CURLcode result = in_fiber ? run_in_fiber(easy, &t) : curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    out->body = t.body.data ? t.body.data : sb_arena_strdup(arena, "");
    out->body_len = t.body.len;
    if (result == CURLE_OK)
        return 0;
    out->error = t.cancelled ? "cancelled"
                 : t.too_large ? "the answer is larger than the caller accepts"
                 : t.stopped ? "stopped by the receiver"
                             : sb_arena_strdup(arena, curl_easy_strerror(result));
    return -1;
}
