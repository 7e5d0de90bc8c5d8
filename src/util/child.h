/*
 * child: runs one program as a short-lived child process for work the server must not do in
 * its own address space (parsing untrusted files), and collects what it wrote.
 *
 * Owner: util (src/util/). Callers: src/ai/pdf_child.c (the PDF reader). Anything that needs
 * "run this, feed it bytes, read its answer, and never let it hurt us" uses this module; it
 * knows nothing about what the child does.
 *
 * The child is started with posix_spawn (no shell, no fork of the server's memory):
 *   - the program by absolute path, with the given argv and an EMPTY environment (nothing of
 *     the server's — DATABASE_URL, SB_JWT_SECRET, API keys — reaches it);
 *   - stdin and stdout are pipes to us, stderr is /dev/null; every other descriptor is closed
 *     (posix_spawn_file_actions_addclosefrom_np(3), on top of O_CLOEXEC on our own pipes);
 *   - its signal mask is emptied and every signal's action reset to the default (a background
 *     thread of the server blocks every signal, and that would be inherited), and it gets a
 *     process group of its own (a terminal's Ctrl-C is for the server, not for it);
 *   - resource limits: RLIMIT_CORE 0 always, RLIMIT_AS and RLIMIT_CPU when asked. posix_spawn
 *     cannot run code between fork and exec, so they are set with prlimit(2) right after the
 *     spawn and BEFORE the first byte of input is written: the child reads its input from
 *     stdin, so it handles nothing it was given before its limits hold. If they cannot be set
 *     the child is killed and the run fails.
 * Then the input is written to stdin (closed after it) while stdout is read, both through
 * poll, until the child closes stdout; then it is reaped. The child is killed (SIGKILL, its
 * whole process group) and reaped when the wall-clock timeout passes, when its output exceeds
 * the cap, or when cancel_fd becomes readable (the server stopping). Every started child is
 * reaped before sb_child_run returns: no zombies, whatever happened.
 *
 * SIGPIPE (writing to a child that died) is blocked on the calling thread for the run and a
 * SIGPIPE raised by it is consumed, so the server is never killed by it. Thread-safe: nothing
 * global is touched; several threads may run children at once.
 */
#ifndef SB_UTIL_CHILD_H
#define SB_UTIL_CHILD_H

#include <stddef.h>
#include <stdint.h>

struct sb_child_spec {
    const char *path;            /* the program, an absolute path (no PATH search) */
    char *const *argv;           /* argv[0] first, NULL-terminated */
    const void *input;           /* written to the child's stdin, then stdin is closed */
    size_t input_len;
    size_t output_cap;           /* most bytes of stdout accepted; more kills the child */
    int timeout_ms;              /* wall clock from the spawn; then the child is killed */
    uint64_t address_space;      /* RLIMIT_AS in bytes; 0: not set */
    unsigned cpu_seconds;        /* RLIMIT_CPU (soft; the hard limit is one second more); 0: not set */
    int cancel_fd;               /* -1, or a descriptor whose readability kills the child at once */
};

enum sb_child_end {
    SB_CHILD_EXITED,             /* exited by itself: status is its exit code */
    SB_CHILD_SIGNALED,           /* killed by a signal it got (a crash, SIGXCPU ...): status is the signal */
    SB_CHILD_TIMED_OUT,          /* killed by us: the timeout passed */
    SB_CHILD_OUTPUT_TOO_LARGE,   /* killed by us: it wrote more than output_cap bytes */
    SB_CHILD_CANCELLED,          /* killed by us: cancel_fd became readable */
    SB_CHILD_NOT_STARTED,        /* pipes, spawn or limits failed: error is the errno */
};

struct sb_child_result {
    enum sb_child_end end;
    int status;                  /* exit code (EXITED) or signal number (SIGNALED) */
    int error;                   /* errno (NOT_STARTED) */
    char *output;                /* stdout as read, NUL-terminated (malloc'd; sb_child_result_free) */
    size_t output_len;
    long elapsed_ms;             /* from spawn to reaped */
};

/* Runs the child to its end; fills *out (always: free it with sb_child_result_free). Returns 0
 * when the child exited with status 0, else -1. */
int sb_child_run(const struct sb_child_spec *spec, struct sb_child_result *out);

void sb_child_result_free(struct sb_child_result *out);

/* A short English description of how the run ended ("exited with status 3", "killed by
 * signal 11 (Segmentation fault)", "timed out after 150 s" ...), in buf. */
const char *sb_child_describe(const struct sb_child_result *r, const struct sb_child_spec *spec, char *buf, size_t size);

#endif
