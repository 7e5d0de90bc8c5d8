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
    int threads;                  /* SB_THREADS, 4: HTTP workers, each an event loop */
    int db_pool_size;             /* SB_DB_POOL_SIZE, 4 per thread: database connections in all */
    int db_pool_timeout_ms;       /* SB_DB_POOL_TIMEOUT_MS, 10000: wait for a free connection, then 503 */
    const char *data_dir;         /* SB_DATA_DIR, ./.studybase: local state (secret, files) */
    const char *jwt_secret;       /* SB_JWT_SECRET, else generated once into data_dir/jwt_secret */
    const char *jwt_aud;          /* SB_JWT_AUD, authenticated: the audience user tokens carry */
    int jwt_exp;                  /* SB_JWT_EXP, 3600: access token lifetime in seconds */
    const char *site_url;         /* SB_SITE_URL, http://localhost:3000: where mail links lead */
    long max_body_bytes;          /* SB_MAX_BODY_BYTES, 1048576: JSON request bodies */
    int statement_timeout_ms;     /* SB_STATEMENT_TIMEOUT_MS, 8000: per request, 0 = none */
    int request_timeout_s;        /* SB_REQUEST_TIMEOUT_S, 30: idle connection / slow client cut-off */
    int shutdown_grace_s;         /* SB_SHUTDOWN_GRACE_S, 10: how long a stop waits for requests in flight */
    const char *storage_dir;      /* SB_STORAGE_DIR, data_dir/storage: stored files (uploads) */
    long storage_max_file_bytes;  /* SB_STORAGE_MAX_FILE_BYTES, 52428800: largest upload (any bucket) */
    int max_connections_per_ip;   /* SB_MAX_CONNECTIONS_PER_IP, 100: open connections one client address may hold */

    /* The tutor (/functions/v1/tutor) and its language model */
    const char *llm_url;          /* SB_LLM_URL, none: the offline tutor answers; else an OpenAI-compatible
                                     base URL (.../v1) or its /chat/completions endpoint */
    const char *llm_model;        /* SB_LLM_MODEL, required with SB_LLM_URL */
    const char *llm_api_key;      /* SB_LLM_API_KEY, none: sent as Authorization: Bearer */
    int llm_timeout_ms;           /* SB_LLM_TIMEOUT_MS, 120000: a whole model answer, at most */
    int llm_max_tokens;           /* SB_LLM_MAX_TOKENS, 2048: the longest answer asked of the model */
    int tutor_max_requests_per_hour; /* SB_TUTOR_MAX_REQUESTS_PER_HOUR, 60 (0: no limit): tutor calls per user */
    long tutor_max_tokens_per_day;   /* SB_TUTOR_MAX_TOKENS_PER_DAY, 200000 (0: no limit): model tokens per user */
    int tutor_max_streams_per_user;  /* SB_TUTOR_MAX_STREAMS_PER_USER, 2: a user's answers in progress at once */

    /* Auth (/auth/v1) */
    bool mailer_autoconfirm;      /* SB_MAILER_AUTOCONFIRM, true: sign-ups are confirmed at once */
    bool disable_signup;          /* SB_DISABLE_SIGNUP, false: refuse new users on /signup */
    int password_min_length;      /* SB_PASSWORD_MIN_LENGTH, 6 */
    int refresh_reuse_interval_s; /* SB_REFRESH_TOKEN_REUSE_INTERVAL, 10: a rotated token still works this long */
    int mailer_otp_exp;           /* SB_MAILER_OTP_EXP, 86400: seconds a mailed link stays valid */
    int mailer_max_frequency_s;   /* SB_MAILER_MAX_FREQUENCY, 60: seconds between two mails of a kind to one user */
    const char *api_external_url; /* SB_API_EXTERNAL_URL, http://SB_HOST:SB_PORT (the bound port when SB_PORT
                                     is 0, see sb_config_set_bound_port): base of mailed links and of the
                                     access tokens' iss; never taken from a request */
    const char *smtp_host;        /* SB_SMTP_HOST, none: mail cannot be sent */
    int smtp_port;                /* SB_SMTP_PORT, 587 */
    const char *smtp_user;        /* SB_SMTP_USER, none */
    const char *smtp_pass;        /* SB_SMTP_PASS, none */
    const char *smtp_sender;      /* SB_SMTP_SENDER, noreply@studybase.local: the From address */
    int rate_limit_token;         /* SB_RATE_LIMIT_TOKEN, 150: /token calls per IP per 5 minutes */
    int rate_limit_verify;        /* SB_RATE_LIMIT_VERIFY, 30: signup/recover/verify per IP per 5 minutes */
    int rate_limit_email;         /* SB_RATE_LIMIT_EMAIL, 30: signup/sign-in/recover/verify per address per 5 minutes */

    /* Embeddings (src/ai/embed.h) */
    const char *embed_url;        /* SB_EMBED_URL, none: the built-in lexical embedder. An OpenAI-compatible
                                     base URL (.../v1, "/embeddings" is appended) or the full .../embeddings */
    const char *embed_model;      /* SB_EMBED_MODEL, none: the provider's model (needed with SB_EMBED_URL) */
    const char *embed_api_key;    /* SB_EMBED_API_KEY, none: sent as Authorization: Bearer */
    int embed_batch;              /* SB_EMBED_BATCH, 64: most texts per provider request */
    int embed_max_texts_per_hour; /* SB_EMBED_MAX_TEXTS_PER_HOUR, 2000 (0: no limit): /functions/v1/embed texts per user */
    int embed_timeout_ms;         /* SB_EMBED_TIMEOUT_MS, 30000: one provider request, whole */
    int embed_retries;            /* SB_EMBED_RETRIES, 3: retries after a connection error, 429 or 5xx */
    bool embed_send_dimensions;   /* SB_EMBED_SEND_DIMENSIONS, true: ask the provider for "dimensions": 384 */

    /* The materials' text (src/ai/extractor.h, pdf_child.h) */
    int pdf_timeout_s;            /* SB_PDF_TIMEOUT_S, 150: wall clock for one PDF's reader process, then it is killed */

    char secret_storage[256];     /* holds a secret read from data_dir */
    char storage_dir_storage[4096]; /* holds the default storage_dir */
    char api_url_storage[300];    /* holds the default api_external_url */
};

/* Fills config from the environment. Returns 0, or -1 after printing what is wrong. */
int sb_config_load(struct sb_config *config);

/* Gives api_external_url its default, http://<host>:<port>, from the port the server bound
 * (the configured one, or the one the system chose for SB_PORT=0), unless SB_API_EXTERNAL_URL
 * is set. sb_config_load calls it for a configured port; the server's starter calls it again
 * with the bound port. */
void sb_config_set_bound_port(struct sb_config *config, int port);

#endif
