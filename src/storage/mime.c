/*
 * mime: one libmagic cookie per thread (libmagic cookies are not thread-safe), closed when
 * the thread ends.
 */
#include "storage/mime.h"

#include <ctype.h>
#include <magic.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define SNIFF_BYTES (64 * 1024)

static pthread_key_t cookie_key;
static pthread_once_t cookie_once = PTHREAD_ONCE_INIT;

static void close_cookie(void *cookie)
{
    magic_close(cookie);
}

static void make_cookie_key(void)
{
    pthread_key_create(&cookie_key, close_cookie);
}

static magic_t thread_cookie(void)
{
    pthread_once(&cookie_once, make_cookie_key);
    magic_t cookie = pthread_getspecific(cookie_key);
    if (cookie)
        return cookie;
    cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR);
    if (!cookie)
        return NULL;
    if (magic_load(cookie, NULL) != 0) {
        magic_close(cookie);
        return NULL;
    }
    pthread_setspecific(cookie_key, cookie);
    return cookie;
}

const char *sb_mime_sniff(struct sb_arena *arena, int fd)
{
    static const char unknown[] = "application/octet-stream";
    char *head = sb_arena_alloc(arena, SNIFF_BYTES);
    ssize_t n = pread(fd, head, SNIFF_BYTES, 0);
    magic_t cookie = thread_cookie();
    if (n <= 0 || !cookie)
        return unknown;
    const char *type = magic_buffer(cookie, head, (size_t)n);
    return type ? sb_arena_strdup(arena, type) : unknown;
}

char *sb_mime_essence(struct sb_arena *arena, const char *content_type)
{
    if (!content_type)
        return NULL;
    while (*content_type == ' ')
        content_type++;
    size_t n = strcspn(content_type, "; \t");
    if (n == 0)
        return NULL;
    char *essence = sb_arena_strndup(arena, content_type, n);
    for (char *p = essence; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return essence;
}

bool sb_mime_allowed(const char *mime, const char *const *patterns, int count)
{
    if (!mime)
        return false;
    const char *slash = strchr(mime, '/');
    size_t type_len = slash ? (size_t)(slash - mime) : strlen(mime);
    for (int i = 0; i < count; i++) {
        const char *p = patterns[i];
        size_t len = strlen(p);
        if (strcasecmp(p, mime) == 0)
            return true;
        if (len == type_len + 2 && strcmp(p + type_len, "/*") == 0 && strncasecmp(p, mime, type_len) == 0)
            return true;
    }
    return false;
}
