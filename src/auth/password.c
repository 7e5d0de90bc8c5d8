/*
 * password: crypt_gensalt_rn for the setting, crypt_rn for the hash; the crypt_data scratch
 * space (about 32 KB) is taken from the heap per call so worker threads never share it.
 */
#include "auth/password.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

bool sb_password_is_hash(const char *hash)
{
    return hash && strlen(hash) == 60 && hash[0] == '$' && hash[1] == '2' &&
           (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$';
}

/* crypt_rn into out (CRYPT_OUTPUT_SIZE bytes); false on failure. */
static bool run_crypt(const char *password, const char *setting, char *out)
{
    struct crypt_data *data = calloc(1, sizeof *data);
    if (!data)
        return false;
    bool ok = crypt_rn(password, setting, data, (int)sizeof *data) != NULL && data->output[0] != '*';
    if (ok)
        memcpy(out, data->output, CRYPT_OUTPUT_SIZE);
    OPENSSL_cleanse(data, sizeof *data);
    free(data);
    return ok;
}

char *sb_password_hash(struct sb_arena *arena, const char *password)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn("$2b$", SB_PASSWORD_COST, NULL, 0, setting, (int)sizeof setting))
        return NULL;
    char out[CRYPT_OUTPUT_SIZE];
    if (!run_crypt(password, setting, out))
        return NULL;
    return sb_arena_strdup(arena, out);
}

bool sb_password_matches(const char *password, const char *hash)
{
    if (!sb_password_is_hash(hash))
        return false;
    char out[CRYPT_OUTPUT_SIZE];
    if (!run_crypt(password, hash, out))
        return false;
    return CRYPTO_memcmp(out, hash, 60) == 0;
}

static char decoy_hash[CRYPT_OUTPUT_SIZE];
static pthread_once_t decoy_once = PTHREAD_ONCE_INIT;

/* A cost-10 hash of a string nobody knows (the setting's random salt), made once. */
static void make_decoy_hash(void)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn("$2b$", SB_PASSWORD_COST, NULL, 0, setting, (int)sizeof setting))
        run_crypt(setting, setting, decoy_hash);
}

void sb_password_waste_time(const char *password)
{
    pthread_once(&decoy_once, make_decoy_hash);
    (void)sb_password_matches(password, decoy_hash);
}
