/*
 * utf8: cutting UTF-8 text to a number of bytes without cutting a character in two.
 */
#ifndef SB_UTIL_UTF8_H
#define SB_UTIL_UTF8_H

#include <stddef.h>

/* The length of the longest prefix of text[0..len) that fits in max bytes and does not end
 * inside a character (text is taken to be valid UTF-8). */
size_t sb_utf8_prefix_n(const char *text, size_t len, size_t max);

/* The same for a NUL-terminated text (read no further than max + 1 bytes). */
size_t sb_utf8_prefix(const char *text, size_t max);

#endif
