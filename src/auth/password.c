/*
 * password: crypt_gensalt_rn for the setting, crypt_rn for the hash; the crypt_data scratch
 * space (about 32 KB) is taken from the heap per call so threads never share it. bcrypt at
 * cost 10 is ~50 ms of CPU, so each hash runs on the job pool (src/core/jobs.h): a request
 * waits for its own, the worker's loop does not.
 */
#include "auth/password.h"

#include "core/jobs.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

bool sb_password_is_hash(const char *hash)
{
    return hash && strlen(hash) == 60 && hash[0] == '$' && hash[1] == '2' &&
           (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$';
}

struct crypt_job {
    const char *password, *setting;
    char *out;
    bool ok;
};

/* On a pool thread: crypt_rn into job->out. */
static void crypt_on_pool(void *arg)
{
    struct crypt_job *job = arg;
    struct crypt_data *data = calloc(1, sizeof *data);
    if (!data)
        return;
    job->ok = crypt_rn(job->password, job->setting, data, (int)sizeof *data) != NULL && data->output[0] != '*';
    if (job->ok)
        memcpy(job->out, data->output, CRYPT_OUTPUT_SIZE);
    OPENSSL_cleanse(data, sizeof *data);
    free(data);
}

/* crypt_rn into out (CRYPT_OUTPUT_SIZE bytes) on the job pool; false on failure. */
static bool run_crypt(const char *password, const char *setting, char *out)
{
    struct crypt_job job = { password, setting, out, false };
    sb_jobs_run(crypt_on_pool, &job);
    return job.ok;
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

/* A cost-10 hash of a string nobody knows (the setting's random salt), made on first use.
 * Not under pthread_once: making it waits for the job pool, and a second fiber of the same
 * thread waiting inside pthread_once would block the thread. Two requests may both make one;
 * the first published is kept. */
static _Atomic(char *) decoy_hash;

static const char *the_decoy_hash(void)
{
    char *hash = atomic_load(&decoy_hash);
    if (hash)
        return hash;
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    char *made = calloc(1, CRYPT_OUTPUT_SIZE);
    if (!made || !crypt_gensalt_rn("$2b$", SB_PASSWORD_COST, NULL, 0, setting, (int)sizeof setting) ||
        !run_crypt(setting, setting, made)) {
        free(made);
        return NULL;
    }
    char *expected = NULL;
    if (!atomic_compare_exchange_strong(&decoy_hash, &expected, made)) {
        free(made);
        return expected;
    }
    return made;
}

void sb_password_waste_time(const char *password)
{
    const char *decoy = the_decoy_hash();
    if (decoy)
        (void)sb_password_matches(password, decoy);
}
