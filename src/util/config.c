/*
 * config: environment variables with defaults, plus the JWT secret, which is generated on
 * first use and kept (mode 0600) so that keys handed out stay valid across restarts.
 */
#include "util/config.h"

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
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    mkdir(dir, 0755);
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

int sb_config_load(struct sb_config *c)
{
    long port, threads, exp, max_body, timeout, request_timeout, max_file;
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
        env_int("SB_STORAGE_MAX_FILE_BYTES", 52428800, 1, 1L << 40, &max_file))
        return -1;
    c->port = (int)port;
    c->threads = (int)threads;
    c->jwt_exp = (int)exp;
    c->max_body_bytes = max_body;
    c->statement_timeout_ms = (int)timeout;
    c->request_timeout_s = (int)request_timeout;
    c->storage_max_file_bytes = max_file;
    snprintf(c->storage_dir_storage, sizeof c->storage_dir_storage, "%s/storage", c->data_dir);
    c->storage_dir = env_or("SB_STORAGE_DIR", c->storage_dir_storage);
    c->jwt_secret = load_jwt_secret(c->data_dir, c->secret_storage);
    return c->jwt_secret ? 0 : -1;
}
