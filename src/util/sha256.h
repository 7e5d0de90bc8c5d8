/*
 * sha256: hex SHA-256 of a byte string (OpenSSL underneath).
 */
#ifndef SB_UTIL_SHA256_H
#define SB_UTIL_SHA256_H

#include <stddef.h>

#define SB_SHA256_HEX_LEN 64

/* Writes 64 lowercase hex digits and a NUL into out (which must hold 65 bytes). */
void sb_sha256_hex(const void *data, size_t len, char out[SB_SHA256_HEX_LEN + 1]);

#endif
