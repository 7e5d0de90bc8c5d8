/*
 * child: posix_spawn, limits before input, one poll loop over stdin, stdout, the child's exit
 * and the cancel descriptor; kill and reap (child.h).
 */
#include "util/child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FIRST_OUTPUT_BUFFER (64 * 1024)
#define WRITE_PIECE (64 * 1024)

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* A descriptor readable when the process exits (Linux 5.3+), or -1: then the loop polls. */
static int exit_watch(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

/* Whether the (unreaped) child has ended; it stays a zombie, so its pid is not reused. */
static bool has_exited(pid_t pid)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

static int set_limit(pid_t pid, int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit limit = { soft, hard };
    return prlimit(pid, resource, &limit, NULL);
}

static int apply_limits(pid_t pid, const struct sb_child_spec *spec)
{
    if (set_limit(pid, RLIMIT_CORE, 0, 0) != 0)
        return -1;
    if (spec->address_space && set_limit(pid, RLIMIT_AS, spec->address_space, spec->address_space) != 0)
        return -1;
    if (spec->cpu_seconds && set_limit(pid, RLIMIT_CPU, spec->cpu_seconds, (rlim_t)spec->cpu_seconds + 1) != 0)
        return -1;
    return 0;
}

static int spawn(const struct sb_child_spec *spec, int child_stdin, int child_stdout, pid_t *pid)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&actions, child_stdin, 0);
    posix_spawn_file_actions_adddup2(&actions, child_stdout, 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    char *empty_environment[] = { NULL };
    int rc = posix_spawn(pid, spec->path, &actions, &attr, spec->argv, empty_environment);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return rc;
}

/* Appends what stdout has now; false at end of file (or a read error, taken as the end). */
static bool read_output(int fd, struct sb_child_result *out, size_t *cap, size_t limit, bool *too_large)
{
    for (;;) {
        if (out->output_len == *cap) {
            size_t bigger = *cap * 2 > limit + 1 ? limit + 1 : *cap * 2;
            if (bigger <= *cap) {
                *too_large = true;
                return true;
            }
            char *grown = realloc(out->output, bigger + 1);
            if (!grown) {
                *too_large = true;
                return true;
            }
            out->output = grown;
            *cap = bigger;
        }
        ssize_t n = read(fd, out->output + out->output_len, *cap - out->output_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0)
            return false;
        out->output_len += (size_t)n;
        if (out->output_len > limit) {
            *too_large = true;
            return true;
        }
    }
}

/* Writes what stdin takes now; false when all is written or the child stopped reading. */
static bool write_input(int fd, const struct sb_child_spec *spec, size_t *written)
{
    while (*written < spec->input_len) {
        size_t piece = spec->input_len - *written;
        if (piece > WRITE_PIECE)
            piece = WRITE_PIECE;
        ssize_t n = write(fd, (const char *)spec->input + *written, piece);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0)
            return false; /* EPIPE: it closed stdin; what it makes of that is its answer */
        *written += (size_t)n;
    }
    return false;
}

/* The loop: returns the end we chose (TIMED_OUT, OUTPUT_TOO_LARGE, CANCELLED) or EXITED when
 * the child ended by itself and its stdout is at end of file. */
static enum sb_child_end exchange(const struct sb_child_spec *spec, pid_t pid, int to_child, int from_child,
                                  struct sb_child_result *out, long deadline)
{
    int exit_fd = exit_watch(pid);
    size_t cap = FIRST_OUTPUT_BUFFER < spec->output_cap + 1 ? FIRST_OUTPUT_BUFFER : spec->output_cap + 1;
    out->output = malloc(cap + 1);
    size_t written = 0;
    bool writing = spec->input_len > 0, reading = true, exited = false, too_large = !out->output;
    if (!writing)
        close_fd(&to_child);
    enum sb_child_end end = SB_CHILD_EXITED;
    while (!too_large && (reading || !exited)) {
        long left = deadline - now_ms();
        if (left <= 0) {
            end = SB_CHILD_TIMED_OUT;
            break;
        }
        struct pollfd fds[4];
        int n = 0, i_out = -1, i_in = -1, i_exit = -1, i_cancel = -1;
        if (reading)
            fds[i_out = n++] = (struct pollfd){ from_child, POLLIN, 0 };
        if (writing)
            fds[i_in = n++] = (struct pollfd){ to_child, POLLOUT, 0 };
        if (!exited && exit_fd >= 0)
            fds[i_exit = n++] = (struct pollfd){ exit_fd, POLLIN, 0 };
        if (spec->cancel_fd >= 0)
            fds[i_cancel = n++] = (struct pollfd){ spec->cancel_fd, POLLIN, 0 };
        int wait = exit_fd < 0 && !exited && left > 50 ? 50 : left > 1000000 ? 1000000 : (int)left;
        int ready = poll(fds, (nfds_t)n, wait);
        if (ready < 0 && errno != EINTR) {
            end = SB_CHILD_TIMED_OUT; /* cannot wait: treated as out of time, the child is killed */
            break;
        }
        if (ready <= 0) {
            if (!exited)
                exited = has_exited(pid);
            continue;
        }
        if (i_cancel >= 0 && fds[i_cancel].revents) {
            end = SB_CHILD_CANCELLED;
            break;
        }
        if (i_out >= 0 && fds[i_out].revents)
            reading = read_output(from_child, out, &cap, spec->output_cap, &too_large);
        if (i_in >= 0 && fds[i_in].revents && !(writing = write_input(to_child, spec, &written)))
            close_fd(&to_child);
        if (!exited && (exit_fd < 0 || (i_exit >= 0 && fds[i_exit].revents)))
            exited = has_exited(pid);
    }
    if (too_large)
        end = SB_CHILD_OUTPUT_TOO_LARGE;
    close_fd(&to_child);
    close_fd(&exit_fd);
    return end;
}

int sb_child_run(const struct sb_child_spec *spec, struct sb_child_result *out)
{
    memset(out, 0, sizeof *out);
    out->end = SB_CHILD_NOT_STARTED;
    int in[2] = { -1, -1 }, outp[2] = { -1, -1 };
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0) {
        out->error = errno;
        close_fd(&in[0]);
        close_fd(&in[1]);
        return -1;
    }
    long started = now_ms();
    pid_t pid;
    int rc = spawn(spec, in[0], outp[1], &pid);
    close_fd(&in[0]);
    close_fd(&outp[1]);
    if (rc != 0) {
        out->error = rc;
        close_fd(&in[1]);
        close_fd(&outp[0]);
        return -1;
    }

    /* SIGPIPE from a write to a child that died is kept pending on this thread, then dropped */
    sigset_t pipe_only, previous, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
    sigpending(&pending);
    bool pipe_was_pending = sigismember(&pending, SIGPIPE);

    enum sb_child_end end;
    if (apply_limits(pid, spec) != 0) {
        out->error = errno;
        end = SB_CHILD_NOT_STARTED;
    } else {
        fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
        fcntl(outp[0], F_SETFL, fcntl(outp[0], F_GETFL) | O_NONBLOCK);
        end = exchange(spec, pid, in[1], outp[0], out, started + spec->timeout_ms);
        in[1] = -1; /* exchange closed it */
    }
    if (end != SB_CHILD_EXITED) {
        kill(-pid, SIGKILL); /* its group: whatever it started too; the pid is ours until reaped */
        kill(pid, SIGKILL);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    close_fd(&in[1]);
    close_fd(&outp[0]);

    sigpending(&pending);
    if (!pipe_was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = { 0, 0 };
        sigtimedwait(&pipe_only, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);

    out->elapsed_ms = now_ms() - started;
    out->end = end;
    if (end == SB_CHILD_EXITED && WIFSIGNALED(status)) {
        out->end = SB_CHILD_SIGNALED;
        out->status = WTERMSIG(status);
    } else if (end == SB_CHILD_EXITED) {
        out->status = WEXITSTATUS(status);
    }
    if (out->output)
        out->output[out->output_len] = '\0';
    return out->end == SB_CHILD_EXITED && out->status == 0 ? 0 : -1;
}

void sb_child_result_free(struct sb_child_result *out)
{
    free(out->output);
    out->output = NULL;
    out->output_len = 0;
}

const char *sb_child_describe(const struct sb_child_result *r, const struct sb_child_spec *spec, char *buf, size_t size)
{
    switch (r->end) {
    case SB_CHILD_EXITED:
        snprintf(buf, size, "exited with status %d", r->status);
        break;
    case SB_CHILD_SIGNALED:
        snprintf(buf, size, "killed by signal %d (%s)", r->status, strsignal(r->status));
        break;
    case SB_CHILD_TIMED_OUT:
        snprintf(buf, size, "killed after %d s", spec->timeout_ms / 1000);
        break;
    case SB_CHILD_OUTPUT_TOO_LARGE:
        snprintf(buf, size, "killed: it wrote more than %zu bytes", spec->output_cap);
        break;
    case SB_CHILD_CANCELLED:
        snprintf(buf, size, "killed: the server is stopping");
        break;
    case SB_CHILD_NOT_STARTED:
        snprintf(buf, size, "could not be started (%s)", strerror(r->error));
        break;
    }
    return buf;
}
