/*
 * log: JSON lines on stderr. A line is built in a stack buffer and written whole under one
 * lock, so lines from different threads never interleave. Request lines (sb_log_batched)
 * may wait in one process-wide buffer and go out several to a write (see log.h).
 */
#include "util/log.h"

#include "util/fdio.h"
#include "util/thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096

static const char *level_name(enum sb_log_level level)
{
    switch (level) {
    case SB_LOG_DEBUG: return "debug";
    case SB_LOG_INFO: return "info";
    case SB_LOG_WARN: return "warn";
    default: return "error";
    }
}

static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

size_t sb_json_escape(char *buf, size_t cap, const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        const unsigned char *run = p;          /* copy a run of plain characters at once */
        while (*p && !needs_escape(*p))
            p++;
        if (p > run) {
            size_t len = (size_t)(p - run);
            if (n < cap)
                memcpy(buf + n, run, n + len < cap ? len : cap - n);
            n += len;
            continue;
        }
        char tmp[8];
        const char *piece = tmp;
        size_t len;
        switch (*p) {
        case '"': piece = "\\\""; len = 2; break;
        case '\\': piece = "\\\\"; len = 2; break;
        case '\n': piece = "\\n"; len = 2; break;
        case '\r': piece = "\\r"; len = 2; break;
        case '\t': piece = "\\t"; len = 2; break;
        default: len = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", *p);
        }
        if (n + len < cap)
            memcpy(buf + n, piece, len);
        n += len;
        p++;
    }
    if (cap > 0)
        buf[n < cap ? n : cap - 1] = '\0';
    return n;
}

static size_t append(char *line, size_t used, size_t cap, const char *text)
{
    size_t len = strlen(text);
    if (used + len >= cap)
        len = used < cap - 1 ? cap - 1 - used : 0;
    memcpy(line + used, text, len);
    return used + len;
}

static size_t append_json_string(char *line, size_t used, size_t cap, const char *value)
{
    char escaped[1024];
    sb_json_escape(escaped, sizeof escaped, value ? value : "");
    used = append(line, used, cap, "\"");
    used = append(line, used, cap, escaped);
    return append(line, used, cap, "\"");
}

/* "2026-11-25T14:32:02.", recomputed once a second per thread (gmtime_r and snprintf were a
 * visible part of a short request's CPU time). */
static const char *timestamp(char *ms_out)
{
    static __thread time_t stamp_second = -1;
    static __thread char stamp[32];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != stamp_second) {
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        stamp_second = now.tv_sec;
    }
    int ms = (int)(now.tv_nsec / 1000000) % 1000;
    ms_out[0] = (char)('0' + ms / 100);
    ms_out[1] = (char)('0' + ms / 10 % 10);
    ms_out[2] = (char)('0' + ms % 10);
    ms_out[3] = '\0';
    return stamp;
}

/* Formats one line, newline included, into line (LINE_MAX_BYTES); returns its length. */
static size_t format_line(char *line, enum sb_log_level level, const char *msg, va_list ap)
{
    const size_t cap = LINE_MAX_BYTES;
    char ms[4];
    const char *stamp = timestamp(ms);
    size_t used = append(line, 0, cap, "{\"ts\":\"");
    used = append(line, used, cap, stamp);
    used = append(line, used, cap, ms);
    used = append(line, used, cap, "Z\",\"level\":\"");
    used = append(line, used, cap, level_name(level));
    used = append(line, used, cap, "\",\"msg\":");
    used = append_json_string(line, used, cap, msg);
    for (const char *key; (key = va_arg(ap, const char *)) != NULL;) {
        const char *value = va_arg(ap, const char *);
        used = append(line, used, cap, ",");
        used = append_json_string(line, used, cap, key);
        used = append(line, used, cap, ":");
        used = append_json_string(line, used, cap, value);
    }
    used = append(line, used, cap - 1, "}");
    line[used++] = '\n';
    return used;
}

/* ---- the batch of request lines ------------------------------------------------------------ */

static pthread_mutex_t batch_lock = PTHREAD_MUTEX_INITIALIZER;
static char batch[SB_LOG_BATCH_BYTES + LINE_MAX_BYTES];
static size_t batch_used;
static struct timespec batch_since;      /* when the oldest waiting line was added */
static pthread_once_t flusher_once = PTHREAD_ONCE_INIT;

/* With batch_lock held: writes the waiting lines and, after them, line (may be empty), in one
 * write. The batch holds less than SB_LOG_BATCH_BYTES whenever the lock is free (a batched
 * line that reaches it is written at once), so a line of up to LINE_MAX_BYTES always fits. */
static void write_batch_then(const char *line, size_t len)
{
    memcpy(batch + batch_used, line, len);
    (void)sb_write_all(STDERR_FILENO, batch, batch_used + len); /* nowhere to report a failure */
    batch_used = 0;
}

static long long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)(now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* Writes lines that have waited SB_LOG_MAX_DELAY_MS, so a quiet moment never leaves one behind. */
static void *flush_late_lines(void *unused)
{
    for (;;) {
        struct timespec pause = { 0, SB_LOG_MAX_DELAY_MS * 1000000L };
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&batch_lock);
        if (batch_used > 0 && elapsed_ms(&batch_since) >= SB_LOG_MAX_DELAY_MS)
            write_batch_then("", 0);
        pthread_mutex_unlock(&batch_lock);
    }
    return NULL;
}

static void start_flusher(void)
{
    pthread_t thread;
    if (sb_thread_start(&thread, flush_late_lines, NULL) == 0)
        pthread_detach(thread);
    atexit(sb_log_flush);
}

void sb_log_flush(void)
{
    pthread_mutex_lock(&batch_lock);
    write_batch_then("", 0);
    pthread_mutex_unlock(&batch_lock);
}

void sb_log_batched(enum sb_log_level level, const char *msg, ...)
{
    char line[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, msg);
    size_t len = format_line(line, level, msg, ap);
    va_end(ap);
    pthread_once(&flusher_once, start_flusher);
    pthread_mutex_lock(&batch_lock);
    if (batch_used == 0)
        clock_gettime(CLOCK_MONOTONIC, &batch_since);
    memcpy(batch + batch_used, line, len);
    batch_used += len;
    if (batch_used >= SB_LOG_BATCH_BYTES)
        write_batch_then("", 0);
    pthread_mutex_unlock(&batch_lock);
}

void sb_log(enum sb_log_level level, const char *msg, ...)
{
    char line[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, msg);
    size_t len = format_line(line, level, msg, ap);
    va_end(ap);
    pthread_mutex_lock(&batch_lock);
    write_batch_then(line, len);        /* lines waiting in the batch go first */
    pthread_mutex_unlock(&batch_lock);
}
