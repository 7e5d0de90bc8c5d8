/*
 * listener: accept(2) in one thread, then hand the connection to the least busy worker (see
 * listener.h). Counts are kept under one mutex: accepting is rare next to requests (clients
 * keep their connections open), so the lock is never on a request's path.
 */
#include "http/listener.h"

#include "util/thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct address_count {
    in_addr_t address;
    int count;
};

struct sb_listener {
    int fd, port;
    pthread_t thread;
    sb_listener_hand_over_fn *hand_over;
    void *hand_over_cls;
    int worker_count, max_connections, max_per_ip;
    pthread_mutex_t lock;
    int *open_per_worker;             /* connections each worker holds */
    int open_total;
    struct address_count *per_address;  /* addresses with open connections (at most max_connections) */
    int address_count;
    int next_worker;                  /* where the search for the least busy starts (spreads ties) */
};

static struct address_count *find_address(struct sb_listener *l, in_addr_t address)
{
    for (int i = 0; i < l->address_count; i++)
        if (l->per_address[i].address == address)
            return &l->per_address[i];
    return NULL;
}

/* With the lock held: counts a new connection from address, or refuses it (false). */
static bool admit(struct sb_listener *l, in_addr_t address)
{
    struct address_count *a = find_address(l, address);
    if (l->open_total >= l->max_connections || (a && a->count >= l->max_per_ip))
        return false;
    if (!a) {
        a = &l->per_address[l->address_count++];
        a->address = address;
        a->count = 0;
    }
    a->count++;
    l->open_total++;
    return true;
}

/* With the lock held: the reverse of admit. */
static void release(struct sb_listener *l, in_addr_t address)
{
    struct address_count *a = find_address(l, address);
    if (a && --a->count == 0)
        *a = l->per_address[--l->address_count];
    if (l->open_total > 0)
        l->open_total--;
}

static int least_busy_worker(struct sb_listener *l)
{
    int best = l->next_worker;
    for (int k = 1; k < l->worker_count; k++) {
        int w = (l->next_worker + k) % l->worker_count;
        if (l->open_per_worker[w] < l->open_per_worker[best])
            best = w;
    }
    l->next_worker = (best + 1) % l->worker_count;
    return best;
}

static void hand_over(struct sb_listener *l, int fd, const struct sockaddr_in *client)
{
    pthread_mutex_lock(&l->lock);
    int worker = admit(l, client->sin_addr.s_addr) ? least_busy_worker(l) : -1;
    if (worker >= 0)
        l->open_per_worker[worker]++;
    pthread_mutex_unlock(&l->lock);
    if (worker < 0) {
        close(fd);                    /* over a limit: closed at once, as libmicrohttpd did */
        return;
    }
    l->hand_over(l->hand_over_cls, worker, fd, client);
}

static void *accept_loop(void *arg)
{
    struct sb_listener *l = arg;
    for (;;) {
        struct sockaddr_in client;
        socklen_t len = sizeof client;
        int fd = accept4(l->fd, (struct sockaddr *)&client, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            hand_over(l, fd, &client);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            struct timespec pause = { 0, 10 * 1000 * 1000 };   /* out of descriptors: let some close */
            nanosleep(&pause, NULL);
            continue;
        }
        return NULL;                  /* EINVAL after sb_listener_stop shut the socket down */
    }
}

static int bound_socket(const struct sockaddr_in *addr, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd < 0)
        return -1;
    struct sockaddr_in bound;
    socklen_t len = sizeof bound;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        bind(fd, (const struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &len) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    *port = ntohs(bound.sin_port);
    return fd;
}

int sb_listener_start(const struct sockaddr_in *addr, sb_listener_hand_over_fn *hand_over,
                      void (*bound)(void *cls, int port), void *cls, int worker_count, int max_connections,
                      int max_per_ip, struct sb_listener **out)
{
    struct sb_listener *l = calloc(1, sizeof *l);
    l->open_per_worker = calloc((size_t)worker_count, sizeof *l->open_per_worker);
    l->per_address = calloc((size_t)max_connections, sizeof *l->per_address);
    l->hand_over = hand_over;
    l->hand_over_cls = cls;
    l->worker_count = worker_count;
    l->max_connections = max_connections;
    l->max_per_ip = max_per_ip;
    pthread_mutex_init(&l->lock, NULL);
    l->fd = bound_socket(addr, &l->port);
    *out = l->fd >= 0 ? l : NULL;
    if (l->fd < 0) {
        int saved = errno;
        sb_listener_free(l);
        errno = saved;
        return -1;
    }
    if (bound)
        bound(cls, l->port);
    int started = sb_thread_start(&l->thread, accept_loop, l);
    if (started != 0) {
        close(l->fd);
        l->fd = -1;
        *out = NULL;
        sb_listener_free(l);
        errno = started;
        return -1;
    }
    return 0;
}

int sb_listener_port(const struct sb_listener *listener)
{
    return listener->port;
}

void sb_listener_closed(struct sb_listener *l, int worker, const struct sockaddr *client)
{
    pthread_mutex_lock(&l->lock);
    if (worker >= 0 && worker < l->worker_count && l->open_per_worker[worker] > 0)
        l->open_per_worker[worker]--;
    if (client && client->sa_family == AF_INET)
        release(l, ((const struct sockaddr_in *)client)->sin_addr.s_addr);
    pthread_mutex_unlock(&l->lock);
}

void sb_listener_stop(struct sb_listener *l)
{
    if (!l || l->fd < 0)
        return;
    shutdown(l->fd, SHUT_RDWR);       /* the blocked accept4 returns EINVAL */
    pthread_join(l->thread, NULL);
    close(l->fd);
    l->fd = -1;
}

void sb_listener_free(struct sb_listener *l)
{
    if (!l)
        return;
    sb_listener_stop(l);
    pthread_mutex_destroy(&l->lock);
    free(l->open_per_worker);
    free(l->per_address);
    free(l);
}
