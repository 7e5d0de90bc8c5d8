/*
 * tokens: random material from OpenSSL's RAND_bytes, digests and MACs from EVP and HMAC.
 */
#include "auth/tokens.h"

#include "auth/jwt.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/sha256.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdbool.h>
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
 * the distribution uniform); NULL when the system has no randomness to give. */
static char *random_string(struct sb_arena *arena, size_t n, const char *alphabet)
{
    size_t k = strlen(alphabet);
    unsigned limit = 256 - (256 % (unsigned)k);
    char *out = sb_arena_alloc(arena, n + 1);
    size_t filled = 0;
    while (filled < n) {
        unsigned char raw[64];
        if (RAND_bytes(raw, sizeof raw) != 1)
            return NULL; /* no randomness: nothing safe can be handed out */
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

char *sb_tokens_stored_hash(struct sb_arena *arena, const char *token)
{
    char *hex = sb_arena_alloc(arena, SB_SHA256_HEX_LEN + 1);
    sb_sha256_hex(token, strlen(token), hex);
    return hex;
}

#define SEAL_IV 12
#define SEAL_TAG 16

static void child_key(const char *parent, unsigned char key[32])
{
    static const char label[] = "studybase refresh child:";
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 0;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, label, sizeof label - 1);
    EVP_DigestUpdate(ctx, parent, strlen(parent));
    EVP_DigestFinal_ex(ctx, key, &len);
    EVP_MD_CTX_free(ctx);
}

static char *to_hex(struct sb_arena *arena, const unsigned char *data, size_t n)
{
    char *hex = sb_arena_alloc(arena, 2 * n + 1);
    sb_hex_encode(data, n, hex);
    return hex;
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes lowercase hex into a new arena buffer; NULL when malformed. */
static unsigned char *from_hex(struct sb_arena *arena, const char *hex, size_t *n)
{
    size_t len = strlen(hex);
    if (len % 2)
        return NULL;
    unsigned char *out = sb_arena_alloc(arena, len / 2 + 1);
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return NULL;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *n = len / 2;
    return out;
}

/* text sealed with AES-256-GCM under key, as hex: random IV, tag, ciphertext. NULL on failure. */
static char *seal(struct sb_arena *arena, const unsigned char key[32], const char *text)
{
    size_t n = strlen(text);
    unsigned char *out = sb_arena_alloc(arena, SEAL_IV + SEAL_TAG + n + 16);
    int len = 0, final_len = 0;
    if (RAND_bytes(out, SEAL_IV) != 1)
        return NULL;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    bool ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) == 1 &&
              EVP_EncryptUpdate(ctx, out + SEAL_IV + SEAL_TAG, &len, (const unsigned char *)text, (int)n) == 1 &&
              EVP_EncryptFinal_ex(ctx, out + SEAL_IV + SEAL_TAG + len, &final_len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG, out + SEAL_IV) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? to_hex(arena, out, SEAL_IV + SEAL_TAG + (size_t)(len + final_len)) : NULL;
}

/* The text back from seal's output, or NULL when it was sealed under another key or damaged. */
static char *unseal(struct sb_arena *arena, const unsigned char key[32], const char *sealed)
{
    size_t n;
    unsigned char *raw = sealed ? from_hex(arena, sealed, &n) : NULL;
    if (!raw || n <= SEAL_IV + SEAL_TAG)
        return NULL;
    size_t text_len = n - SEAL_IV - SEAL_TAG;
    char *text = sb_arena_alloc(arena, text_len + 16);
    int len = 0, final_len = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    bool ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) == 1 &&
              EVP_DecryptUpdate(ctx, (unsigned char *)text, &len, raw + SEAL_IV + SEAL_TAG, (int)text_len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG, raw + SEAL_IV) == 1 &&
              EVP_DecryptFinal_ex(ctx, (unsigned char *)text + len, &final_len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok)
        return NULL;
    text[len + final_len] = '\0';
    return text;
}

char *sb_tokens_seal_child(struct sb_arena *arena, const char *parent, const char *child)
{
    unsigned char key[32];
    child_key(parent, key);
    return seal(arena, key, child);
}

char *sb_tokens_unseal_child(struct sb_arena *arena, const char *parent, const char *sealed)
{
    unsigned char key[32];
    child_key(parent, key);
    return unseal(arena, key, sealed);
}

char *sb_tokens_new_otp(struct sb_arena *arena)
{
    return random_string(arena, 6, "0123456789");
}

/* A key of its own for one use of the JWT secret: HMAC-SHA256 of a label under the secret, so
 * that it is not the key that signs JWTs and a MAC or seal made with one can never stand for
 * another. */
static bool derived_key(const char *secret, const char *label, unsigned char key[32])
{
    unsigned int len = 0;
    return HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)label, strlen(label), key, &len) !=
               NULL && len == 32;
}

char *sb_tokens_mail_link_token(struct sb_arena *arena, const char *secret, const char *kind, const char *user_id,
                                const char *code)
{
    unsigned char key[32], mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!derived_key(secret, "studybase mail token key v1", key))
        return NULL;
    /* kind NUL user_id NUL code: C strings hold no NUL, so no two triples encode alike */
    struct sb_buf message;
    sb_buf_init(&message, arena);
    sb_buf_append(&message, kind);
    sb_buf_append_char(&message, '\0');
    sb_buf_append(&message, user_id);
    sb_buf_append_char(&message, '\0');
    sb_buf_append(&message, code);
    bool ok = HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)message.data, message.len, mac, &len) != NULL;
    OPENSSL_cleanse(key, sizeof key);
    return ok && len > 0 ? to_hex(arena, mac, len) : NULL;
}

bool sb_tokens_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

char *sb_tokens_seal_mail(struct sb_arena *arena, const char *secret, const char *body)
{
    unsigned char key[32];
    char *sealed = derived_key(secret, "studybase mail outbox key v1", key) ? seal(arena, key, body) : NULL;
    OPENSSL_cleanse(key, sizeof key);
    return sealed;
}

char *sb_tokens_unseal_mail(struct sb_arena *arena, const char *secret, const char *sealed)
{
    unsigned char key[32];
    char *body = derived_key(secret, "studybase mail outbox key v1", key) ? unseal(arena, key, sealed) : NULL;
    OPENSSL_cleanse(key, sizeof key);
    return body;
}
