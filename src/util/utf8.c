/*
 * utf8: cutting UTF-8 text on a character boundary (utf8.h).
 */
#include "util/utf8.h"

#include <string.h>

size_t sb_utf8_prefix_n(const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)text[max] & 0xC0) == 0x80)
        max--;                   /* text[max] continues a character: cut before that character */
    return max;
}

size_t sb_utf8_prefix(const char *text, size_t max)
{
    return sb_utf8_prefix_n(text, strnlen(text, max + 1), max);
}
