/*
 * redact: key-like parts of a text replaced by "[redacted]" (redact.h).
 */
#include "ai/redact.h"

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <strings.h>

#define LONG_RUN 20
#define HIDDEN "[redacted]"

static bool is_run_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Length of the key that starts at p ("sk-" then key bytes or '*' masking), 0 when none does. */
static size_t key_length(const char *p)
{
    if (p[0] != 's' || p[1] != 'k' || p[2] != '-')
        return 0;
    size_t n = 3;
    while (is_run_byte((unsigned char)p[n]) || p[n] == '*')
        n++;
    return n > 3 ? n : 0;
}

/* Length of "Bearer " and the credential after it at p, 0 when p does not start so. */
static size_t bearer_length(const char *p)
{
    if (strncasecmp(p, "bearer", 6) != 0 || !is_space((unsigned char)p[6]))
        return 0;
    size_t n = 7;
    while (is_space((unsigned char)p[n]))
        n++;
    size_t start = n;
    while (p[n] && !is_space((unsigned char)p[n]))
        n++;
    return n > start ? n : 0;
}

const char *sb_ai_redact(struct sb_arena *arena, const char *text)
{
    if (!text)
        return NULL;
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append(&b, "");
    const char *p = text;
    while (*p) {
        bool word_start = p == text || !is_run_byte((unsigned char)p[-1]);
        size_t n;
        if (word_start && (n = bearer_length(p)) > 0) {
            sb_buf_append(&b, "Bearer " HIDDEN);
            p += n;
        } else if (word_start && (n = key_length(p)) > 0) {
            sb_buf_append(&b, HIDDEN);
            p += n;
        } else if (is_run_byte((unsigned char)*p)) {
            for (n = 0; is_run_byte((unsigned char)p[n]); n++)
                ;
            if (n >= LONG_RUN)
                sb_buf_append(&b, HIDDEN);
            else
                sb_buf_append_n(&b, p, n);
            p += n;
        } else {
            sb_buf_append_char(&b, *p++);
        }
    }
    return b.data;
}
