/*
 * hex: bytes as lowercase hexadecimal text, the one encoding every secret file, checksum and
 * stored token digest uses.
 */
#ifndef SB_UTIL_HEX_H
#define SB_UTIL_HEX_H

#include <stddef.h>

/* Writes 2 * n lowercase hex digits and a NUL into out (which must hold 2 * n + 1 bytes). */
void sb_hex_encode(const void *data, size_t n, char *out);

#endif
