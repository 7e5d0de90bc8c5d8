/*
 * path: key checks on the raw bytes, then NFC with libunistring, then the length limits
 * (which apply to what is stored).
 */
#include "storage/path.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>
#include <unistr.h>

static int is_control(ucs4_t c)
{
    return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

/* Refuses bad UTF-8, controls and backslashes anywhere in s. */
static enum sb_key_status check_characters(const uint8_t *s, size_t n)
{
    if (u8_check(s, n) != NULL)
        return SB_KEY_BAD_UTF8;
    const uint8_t *p = s, *end = s + n;
    while (p < end) {
        ucs4_t c;
        int len = u8_mbtouc(&c, p, (size_t)(end - p));
        if (is_control(c))
            return SB_KEY_CONTROL_CHARACTER;
        if (c == '\\')
            return SB_KEY_BACKSLASH;
        p += len;
    }
    return SB_KEY_OK;
}

/* Refuses empty, '.', '..' and over-long segments of a '/'-separated key. */
static enum sb_key_status check_segments(const char *key, size_t n)
{
    const char *seg = key, *end = key + n;
    while (seg <= end) {
        const char *slash = memchr(seg, '/', (size_t)(end - seg));
        size_t len = slash ? (size_t)(slash - seg) : (size_t)(end - seg);
        if (len == 0)
            return SB_KEY_EMPTY_SEGMENT;
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return SB_KEY_DOT_SEGMENT;
        if (len > SB_KEY_SEGMENT_MAX_BYTES)
            return SB_KEY_SEGMENT_TOO_LONG;
        if (!slash)
            break;
        seg = slash + 1;
    }
    return SB_KEY_OK;
}

enum sb_key_status sb_storage_key_check(struct sb_arena *arena, const char *raw, const char **normalized)
{
    *normalized = NULL;
    if (!raw || !*raw)
        return SB_KEY_EMPTY;
    size_t n = strlen(raw);
    if (n > 4 * SB_KEY_MAX_BYTES)
        return SB_KEY_TOO_LONG; /* NFC never shrinks a key by a factor of 4: skip the work */
    enum sb_key_status st = check_characters((const uint8_t *)raw, n);
    if (st != SB_KEY_OK)
        return st;
    if (raw[0] == '/')
        return SB_KEY_ABSOLUTE;

    size_t out_len = 0;
    uint8_t *nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)raw, n, NULL, &out_len);
    if (!nfc)
        return SB_KEY_BAD_UTF8;
    char *key = sb_arena_strndup(arena, (const char *)nfc, out_len);
    free(nfc);
    if (out_len > SB_KEY_MAX_BYTES)
        return SB_KEY_TOO_LONG;
    st = check_segments(key, out_len);
    if (st == SB_KEY_OK)
        *normalized = key;
    return st;
}

const char *sb_storage_key_message(enum sb_key_status status)
{
    switch (status) {
    case SB_KEY_OK: return "Valid key";
    case SB_KEY_EMPTY: return "Invalid key: the name is empty";
    case SB_KEY_BAD_UTF8: return "Invalid key: the name is not valid UTF-8";
    case SB_KEY_CONTROL_CHARACTER: return "Invalid key: the name contains a control character";
    case SB_KEY_BACKSLASH: return "Invalid key: the name contains a backslash";
    case SB_KEY_ABSOLUTE: return "Invalid key: the name starts with '/'";
    case SB_KEY_EMPTY_SEGMENT: return "Invalid key: the name has an empty folder or file name";
    case SB_KEY_DOT_SEGMENT: return "Invalid key: '.' and '..' are not allowed as folder or file names";
    case SB_KEY_TOO_LONG: return "Invalid key: the name is longer than 1024 bytes";
    case SB_KEY_SEGMENT_TOO_LONG: return "Invalid key: a folder or file name is longer than 255 bytes";
    }
    return "Invalid key";
}

int sb_storage_bucket_name_ok(const char *name)
{
    static const char allowed[] = "_!.*'()&$=@;:+,?-";
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > SB_BUCKET_MAX_CHARS || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 strchr(allowed, c) != NULL;
        if (!ok)
            return 0;
    }
    return 1;
}
