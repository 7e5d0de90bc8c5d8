/*
 * mail: the message is built in the arena with CRLF line ends and handed to libcurl's SMTP
 * upload through a read callback; a refusal is told from a passing failure by the SMTP
 * server's last reply code.
 */
#include "auth/mail.h"

#include "util/buf.h"

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* libcurl's global set-up (TLS libraries included) waits for the first mail: a server that
 * sends none skips it. */
static void init_curl(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct cursor {
    const char *data;
    size_t left;
};

static size_t read_message(char *out, size_t size, size_t nitems, void *userdata)
{
    struct cursor *c = userdata;
    size_t n = size * nitems < c->left ? size * nitems : c->left;
    memcpy(out, c->data, n);
    c->data += n;
    c->left -= n;
    return n;
}

static char *build_message(const struct sb_config *config, struct sb_arena *arena, const char *to,
                           const char *subject, const char *text)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_printf(&b, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\n"
                      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
                  date, config->smtp_sender, to, subject);
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            sb_buf_append_char(&b, '\r');
        sb_buf_append_char(&b, *p);
    }
    return b.data;
}

/* What a failed transfer means, from libcurl's code and the SMTP server's last reply. */
static enum sb_mail_outcome failure_kind(long smtp_code)
{
    return smtp_code >= 500 && smtp_code <= 599 ? SB_MAIL_REFUSED : SB_MAIL_RETRY;
}

static void set_options(CURL *curl, const struct sb_config *config, struct sb_arena *arena,
                        struct curl_slist *recipients, struct cursor *cursor)
{
    curl_easy_setopt(curl, CURLOPT_URL, sb_arena_printf(arena, "smtp://%s:%d", config->smtp_host, config->smtp_port));
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, sb_arena_printf(arena, "<%s>", config->smtp_sender));
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(curl, CURLOPT_READDATA, cursor);
    curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    if (config->smtp_user) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, config->smtp_user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, config->smtp_pass ? config->smtp_pass : "");
    }
}

enum sb_mail_outcome sb_mail_send(const struct sb_config *config, struct sb_arena *arena, const char *to,
                                  const char *subject, const char *text, const char **error)
{
    *error = NULL;
    if (!config->smtp_host) {
        *error = "SB_SMTP_HOST is not set";
        return SB_MAIL_REFUSED;
    }
    pthread_once(&curl_once, init_curl);
    CURL *curl = curl_easy_init();
    if (!curl) {
        *error = "libcurl could not start";
        return SB_MAIL_RETRY;
    }
    char *message = build_message(config, arena, to, subject, text);
    struct cursor cursor = { message, strlen(message) };
    struct curl_slist *recipients = curl_slist_append(NULL, sb_arena_printf(arena, "<%s>", to));
    set_options(curl, config, arena, recipients, &cursor);
    CURLcode rc = curl_easy_perform(curl);
    long smtp_code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &smtp_code);
    curl_slist_free_all(recipients);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK)
        return SB_MAIL_SENT;
    *error = smtp_code ? sb_arena_printf(arena, "%s (SMTP %ld)", curl_easy_strerror(rc), smtp_code)
                       : curl_easy_strerror(rc);
    return failure_kind(smtp_code);
}
