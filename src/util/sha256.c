/*
 * sha256: one-shot hashing with OpenSSL's EVP interface.
 */
#include "util/sha256.h"

#include "util/hex.h"

#include <openssl/evp.h>

void sb_sha256_hex(const void *data, size_t len, char out[SB_SHA256_HEX_LEN + 1])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_Digest(data, len, digest, &digest_len, EVP_sha256(), NULL);
    sb_hex_encode(digest, digest_len < 32 ? digest_len : 32, out);
}
