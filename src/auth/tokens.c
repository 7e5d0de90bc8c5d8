/*
 * tokens: random material from OpenSSL's RAND_bytes, digests from EVP.
 */
#include "auth/tokens.h"

#include "auth/jwt.h"
#include "util/buf.h"
#include "util/sha256.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *sb_tokens_access_token(struct sb_arena *arena, const char *secret, const char *issuer, const char *claims_json,
                             int lifetime_s, long long *expires_at)
{
    while (*claims_json == ' ')
        claims_json++;
    if (claims_json[0] != '{')
        return NULL;
    long long now = (long long)time(NULL);
    *expires_at = now + lifetime_s;
    const char *rest = claims_json + 1;
    while (*rest == ' ')
        rest++;
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_printf(&b, "{\"iat\":%lld,\"exp\":%lld", now, *expires_at);
    if (issuer) {
        sb_buf_append(&b, ",\"iss\":");
        sb_buf_append_json_string(&b, issuer);
    }
    if (*rest != '}')
        sb_buf_append_char(&b, ',');
    sb_buf_append(&b, rest);
    const char *claims = b.data;
    return sb_jwt_sign(arena, secret, claims);
}

/* n random characters from alphabet (whose length divides 256 evenly enough: rejection keeps
 * the distribution uniform). */
static char *random_string(struct sb_arena *arena, size_t n, const char *alphabet)
{
    size_t k = strlen(alphabet);
    unsigned limit = 256 - (256 % (unsigned)k);
    char *out = sb_arena_alloc(arena, n + 1);
    size_t filled = 0;
    while (filled < n) {
        unsigned char raw[64];
        if (RAND_bytes(raw, sizeof raw) != 1)
            abort(); /* no randomness: nothing safe can be handed out */
        for (size_t i = 0; i < sizeof raw && filled < n; i++)
            if (raw[i] < limit)
                out[filled++] = alphabet[raw[i] % k];
    }
    out[n] = '\0';
    return out;
}

char *sb_tokens_new_refresh_token(struct sb_arena *arena)
{
    return random_string(arena, SB_REFRESH_TOKEN_LEN, "abcdefghijklmnopqrstuvwxyz0123456789");
}

char *sb_tokens_refresh_hash(struct sb_arena *arena, const char *token)
{
    char *hex = sb_arena_alloc(arena, SB_SHA256_HEX_LEN + 1);
    sb_sha256_hex(token, strlen(token), hex);
    return hex;
}

char *sb_tokens_new_otp(struct sb_arena *arena)
{
    return random_string(arena, 6, "0123456789");
}

char *sb_tokens_otp_hash(struct sb_arena *arena, const char *email, const char *otp)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha224(), NULL);
    EVP_DigestUpdate(ctx, email, strlen(email));
    EVP_DigestUpdate(ctx, otp, strlen(otp));
    EVP_DigestFinal_ex(ctx, digest, &len);
    EVP_MD_CTX_free(ctx);
    char *hex = sb_arena_alloc(arena, 2 * len + 1);
    static const char digits[] = "0123456789abcdef";
    for (unsigned int i = 0; i < len; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    return hex;
}
