/*
 * config: everything studybase reads from the environment, loaded once at start-up into an
 * immutable struct that lives for the life of the process.
 *
 * Each field documents its variable and default; the README's configuration table lists the
 * same. Strings point into the environment or into memory owned by the config.
 */
#ifndef SB_UTIL_CONFIG_H
#define SB_UTIL_CONFIG_H

#include <stdbool.h>

struct sb_config {
    const char *database_url;     /* DATABASE_URL: what the server connects to */
    const char *host;             /* SB_HOST, 127.0.0.1 */
    int port;                     /* SB_PORT, 54321 */
    int threads;                  /* SB_THREADS, 4: HTTP workers, each with one DB connection */
    const char *data_dir;         /* SB_DATA_DIR, ./.studybase: local state (secret, files) */
    const char *jwt_secret;       /* SB_JWT_SECRET, else generated once into data_dir/jwt_secret */
    const char *jwt_aud;          /* SB_JWT_AUD, authenticated: the audience user tokens carry */
    int jwt_exp;                  /* SB_JWT_EXP, 3600: access token lifetime in seconds */
    const char *site_url;         /* SB_SITE_URL, http://localhost:3000: where mail links lead */
    long max_body_bytes;          /* SB_MAX_BODY_BYTES, 1048576: JSON request bodies */
    int statement_timeout_ms;     /* SB_STATEMENT_TIMEOUT_MS, 8000: per request, 0 = none */
    int request_timeout_s;        /* SB_REQUEST_TIMEOUT_S, 30: idle connection / slow client cut-off */
    const char *storage_dir;      /* SB_STORAGE_DIR, data_dir/storage: stored files (uploads) */
    long storage_max_file_bytes;  /* SB_STORAGE_MAX_FILE_BYTES, 52428800: largest upload (any bucket) */
    char secret_storage[256];     /* holds a secret read from data_dir */
    char storage_dir_storage[4096]; /* holds the default storage_dir */
};

/* Fills config from the environment. Returns 0, or -1 after printing what is wrong. */
int sb_config_load(struct sb_config *config);

#endif
