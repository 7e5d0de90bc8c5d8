/*
 * config: environment variables with defaults, plus the JWT secret, which is generated on
 * first use and kept (mode 0600) so that keys handed out stay valid across restarts.
 */
#include "util/config.h"

#include "util/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static int env_int(const char *name, long fallback, long min, long max, long *out)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        *out = fallback;
        return 0;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < min || n > max) {
        fprintf(stderr, "studybase: %s=%s is not a whole number between %ld and %ld\n", name, v, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

/* Reads the secret into buf (256 bytes); returns buf, or NULL if there is no usable secret. */
static char *read_secret_file(const char *path, char *buf)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, 255, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    return n >= 32 ? buf : NULL;
}

/* 32 random bytes as 64 hex digits, written with O_EXCL so two starting processes agree. */
static char *create_secret_file(const char *dir, const char *path, char *hex)
{
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return NULL;
    sb_hex_encode(raw, sizeof raw, hex);
    mkdir(dir, 0700);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return errno == EEXIST ? read_secret_file(path, hex) : NULL;
    int ok = write(fd, hex, 64) == 64 && write(fd, "\n", 1) == 1;
    close(fd);
    return ok ? hex : NULL;
}

static const char *load_jwt_secret(const char *data_dir, char *storage)
{
    const char *given = getenv("SB_JWT_SECRET");
    if (given && *given) {
        if (strlen(given) < 32) {
            fprintf(stderr, "studybase: SB_JWT_SECRET must be at least 32 characters\n");
            return NULL;
        }
        return given;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/jwt_secret", data_dir);
    char *secret = read_secret_file(path, storage);
    if (!secret)
        secret = create_secret_file(data_dir, path, storage);
    if (!secret)
        fprintf(stderr, "studybase: cannot read or create the JWT secret in %s: %s\n", path, strerror(errno));
    return secret;
}

static int env_bool(const char *name, bool fallback, bool *out)
{
    const char *v = getenv(name);
    if (!v || !*v)
        *out = fallback;
    else if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else {
        fprintf(stderr, "studybase: %s=%s is not true or false\n", name, v);
        return -1;
    }
    return 0;
}

/* The auth service's settings (SB_MAILER_*, SB_SMTP_*, SB_RATE_LIMIT_*, ...). */
static int load_auth_settings(struct sb_config *c)
{
    long min_len, reuse, otp_exp, frequency, smtp_port, rl_token, rl_verify, rl_email;
    if (env_bool("SB_MAILER_AUTOCONFIRM", true, &c->mailer_autoconfirm) ||
        env_bool("SB_DISABLE_SIGNUP", false, &c->disable_signup) ||
        env_int("SB_PASSWORD_MIN_LENGTH", 6, 1, 72, &min_len) ||
        env_int("SB_REFRESH_TOKEN_REUSE_INTERVAL", 10, 0, 3600, &reuse) ||
        env_int("SB_MAILER_OTP_EXP", 86400, 60, 604800, &otp_exp) ||
        env_int("SB_MAILER_MAX_FREQUENCY", 60, 0, 86400, &frequency) ||
        env_int("SB_SMTP_PORT", 587, 1, 65535, &smtp_port) ||
        env_int("SB_RATE_LIMIT_TOKEN", 150, 1, 100000000, &rl_token) ||
        env_int("SB_RATE_LIMIT_VERIFY", 30, 1, 100000000, &rl_verify) ||
        env_int("SB_RATE_LIMIT_EMAIL", 30, 1, 100000000, &rl_email))
        return -1;
    c->password_min_length = (int)min_len;
    c->refresh_reuse_interval_s = (int)reuse;
    c->mailer_otp_exp = (int)otp_exp;
    c->mailer_max_frequency_s = (int)frequency;
    c->smtp_port = (int)smtp_port;
    c->rate_limit_token = (int)rl_token;
    c->rate_limit_verify = (int)rl_verify;
    c->rate_limit_email = (int)rl_email;
    c->api_external_url = env_or("SB_API_EXTERNAL_URL", NULL);
    c->smtp_host = env_or("SB_SMTP_HOST", NULL);
    c->smtp_user = env_or("SB_SMTP_USER", NULL);
    c->smtp_pass = env_or("SB_SMTP_PASS", NULL);
    c->smtp_sender = env_or("SB_SMTP_SENDER", "noreply@studybase.local");
    return 0;
}

static int load_tutor_settings(struct sb_config *c)
{
    long timeout, max_tokens, per_hour, per_day, streams;
    if (env_int("SB_LLM_TIMEOUT_MS", 120000, 100, 3600000, &timeout) ||
        env_int("SB_LLM_MAX_TOKENS", 2048, 16, 1000000, &max_tokens) ||
        env_int("SB_TUTOR_MAX_REQUESTS_PER_HOUR", 60, 0, 1000000, &per_hour) ||
        env_int("SB_TUTOR_MAX_TOKENS_PER_DAY", 200000, 0, 1L << 40, &per_day) ||
        env_int("SB_TUTOR_MAX_STREAMS_PER_USER", 2, 1, 1000, &streams))
        return -1;
    c->llm_url = env_or("SB_LLM_URL", NULL);
    c->llm_model = env_or("SB_LLM_MODEL", NULL);
    c->llm_api_key = env_or("SB_LLM_API_KEY", NULL);
    if (c->llm_url && strncmp(c->llm_url, "http://", 7) != 0 && strncmp(c->llm_url, "https://", 8) != 0) {
        fprintf(stderr, "studybase: SB_LLM_URL must start with http:// or https://\n"); /* no value: it may hold a password */
        return -1;
    }
    if (c->llm_url && !c->llm_model) {
        fprintf(stderr, "studybase: SB_LLM_MODEL must name the model when SB_LLM_URL is set\n");
        return -1;
    }
    c->llm_timeout_ms = (int)timeout;
    c->llm_max_tokens = (int)max_tokens;
    c->tutor_max_requests_per_hour = (int)per_hour;
    c->tutor_max_tokens_per_day = per_day;
    c->tutor_max_streams_per_user = (int)streams;
    return 0;
}

/* The embedding provider's settings (SB_EMBED_*). */
static int load_embed_settings(struct sb_config *c)
{
    long batch, timeout, retries, per_hour;
    if (env_int("SB_EMBED_BATCH", 64, 1, 2048, &batch) || env_int("SB_EMBED_TIMEOUT_MS", 30000, 100, 600000, &timeout) ||
        env_int("SB_EMBED_MAX_TEXTS_PER_HOUR", 2000, 0, 100000000, &per_hour) ||
        env_int("SB_EMBED_RETRIES", 3, 0, 10, &retries) ||
        env_bool("SB_EMBED_SEND_DIMENSIONS", true, &c->embed_send_dimensions))
        return -1;
    long pdf_timeout;
    if (env_int("SB_PDF_TIMEOUT_S", 150, 1, 3600, &pdf_timeout))
        return -1;
    c->pdf_timeout_s = (int)pdf_timeout;
    c->embed_batch = (int)batch;
    c->embed_timeout_ms = (int)timeout;
    c->embed_retries = (int)retries;
    c->embed_max_texts_per_hour = (int)per_hour;
    c->embed_url = env_or("SB_EMBED_URL", NULL);
    c->embed_model = env_or("SB_EMBED_MODEL", NULL);
    c->embed_api_key = env_or("SB_EMBED_API_KEY", NULL);
    if (c->embed_url && strncmp(c->embed_url, "http://", 7) != 0 && strncmp(c->embed_url, "https://", 8) != 0) {
        fprintf(stderr, "studybase: SB_EMBED_URL=%s must start with http:// or https://\n", c->embed_url);
        return -1;
    }
    if (c->embed_url && !c->embed_model) {
        fprintf(stderr, "studybase: SB_EMBED_URL is set: set SB_EMBED_MODEL to the provider's embedding model too\n");
        return -1;
    }
    return 0;
}

int sb_config_load(struct sb_config *c)
{
    long port, threads, exp, max_body, timeout, request_timeout, shutdown_grace, max_file, per_ip, pool_size,
        pool_timeout;
    memset(c, 0, sizeof *c);
    c->database_url = env_or("DATABASE_URL", NULL);
    c->host = env_or("SB_HOST", "127.0.0.1");
    c->data_dir = env_or("SB_DATA_DIR", ".studybase");
    c->jwt_aud = env_or("SB_JWT_AUD", "authenticated");
    c->site_url = env_or("SB_SITE_URL", "http://localhost:3000");
    if (env_int("SB_PORT", 54321, 0, 65535, &port) || env_int("SB_THREADS", 4, 1, 256, &threads) ||
        env_int("SB_JWT_EXP", 3600, 30, 604800, &exp) ||
        env_int("SB_MAX_BODY_BYTES", 1048576, 1024, 1L << 30, &max_body) ||
        env_int("SB_STATEMENT_TIMEOUT_MS", 8000, 0, 3600000, &timeout) ||
        env_int("SB_REQUEST_TIMEOUT_S", 30, 1, 3600, &request_timeout) ||
        env_int("SB_SHUTDOWN_GRACE_S", 10, 0, 3600, &shutdown_grace) ||
        env_int("SB_STORAGE_MAX_FILE_BYTES", 52428800, 1, 1L << 40, &max_file) ||
        env_int("SB_MAX_CONNECTIONS_PER_IP", 100, 1, 1000, &per_ip) ||
        env_int("SB_DB_POOL_SIZE", 4 * threads, 1, 1000, &pool_size) ||
        env_int("SB_DB_POOL_TIMEOUT_MS", 10000, 1, 600000, &pool_timeout))
        return -1;
    c->db_pool_size = (int)pool_size;
    c->db_pool_timeout_ms = (int)pool_timeout;
    c->port = (int)port;
    c->threads = (int)threads;
    c->jwt_exp = (int)exp;
    c->max_body_bytes = max_body;
    c->statement_timeout_ms = (int)timeout;
    c->request_timeout_s = (int)request_timeout;
    c->shutdown_grace_s = (int)shutdown_grace;
    c->storage_max_file_bytes = max_file;
    snprintf(c->storage_dir_storage, sizeof c->storage_dir_storage, "%s/storage", c->data_dir);
    c->storage_dir = env_or("SB_STORAGE_DIR", c->storage_dir_storage);
    c->max_connections_per_ip = (int)per_ip;
    if (load_tutor_settings(c))
        return -1;
    if (load_auth_settings(c) || load_embed_settings(c))
        return -1;
    sb_config_set_bound_port(c, c->port);   /* with SB_PORT=0, set again once bound */
    c->jwt_secret = load_jwt_secret(c->data_dir, c->secret_storage);
    return c->jwt_secret ? 0 : -1;
}

void sb_config_set_bound_port(struct sb_config *c, int port)
{
    if (env_or("SB_API_EXTERNAL_URL", NULL))
        return;
    snprintf(c->api_url_storage, sizeof c->api_url_storage, "http://%s:%d", c->host, port);
    c->api_external_url = c->api_url_storage;
}
