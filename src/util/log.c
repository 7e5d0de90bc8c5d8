/*
 * log: JSON lines on stderr. A line is built in a stack buffer and written with one
 * write() so that lines from different threads never interleave.
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *level_name(enum sb_log_level level)
{
    switch (level) {
    case SB_LOG_DEBUG: return "debug";
    case SB_LOG_INFO: return "info";
    case SB_LOG_WARN: return "warn";
    default: return "error";
    }
}

size_t sb_json_escape(char *buf, size_t cap, const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[8];
        const char *piece = tmp;
        size_t len;
        switch (*p) {
        case '"': piece = "\\\""; len = 2; break;
        case '\\': piece = "\\\\"; len = 2; break;
        case '\n': piece = "\\n"; len = 2; break;
        case '\r': piece = "\\r"; len = 2; break;
        case '\t': piece = "\\t"; len = 2; break;
        default:
            if (*p < 0x20) {
                len = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", *p);
            } else {
                tmp[0] = (char)*p;
                len = 1;
            }
        }
        if (n + len < cap)
            memcpy(buf + n, piece, len);
        n += len;
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

void sb_log(enum sb_log_level level, const char *msg, ...)
{
    char line[4096], stamp[64];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", (tm.tm_year + 1900) % 10000,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(now.tv_nsec / 1000000) % 1000);

    size_t used = append(line, 0, sizeof line, "{\"ts\":\"");
    used = append(line, used, sizeof line, stamp);
    used = append(line, used, sizeof line, "\",\"level\":\"");
    used = append(line, used, sizeof line, level_name(level));
    used = append(line, used, sizeof line, "\",\"msg\":");
    used = append_json_string(line, used, sizeof line, msg);

    va_list ap;
    va_start(ap, msg);
    for (const char *key; (key = va_arg(ap, const char *)) != NULL;) {
        const char *value = va_arg(ap, const char *);
        used = append(line, used, sizeof line, ",");
        used = append_json_string(line, used, sizeof line, key);
        used = append(line, used, sizeof line, ":");
        used = append_json_string(line, used, sizeof line, value);
    }
    va_end(ap);
    used = append(line, used, sizeof line - 1, "}");
    line[used++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, used);
    (void)ignored;
}
