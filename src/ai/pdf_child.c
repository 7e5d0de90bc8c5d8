/*
 * pdf_child: the extract-pdf subcommand, its framed answer, and the parent's side (pdf_child.h).
 */
#include "ai/pdf_child.h"

#include "util/child.h"
#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <unistr.h>

#define MAGIC "studybase-pdf 1\n"
#define CPU_SLACK_S 30
#define ADDRESS_SPACE (1024ull * 1024 * 1024)
#define PAGE_LIMIT_MS (SB_EXTRACT_MAX_SECONDS * 1000)

/* ---- the frames ----------------------------------------------------------------------------- */

static int write_text(FILE *f, const char *tag, const char *text, size_t len)
{
    return fprintf(f, "%s %zu\n", tag, len) < 0 || fwrite(text, 1, len, f) != len || fputc('\n', f) == EOF ? -1 : 0;
}

int sb_pdf_frames_write(FILE *f, const struct sb_extracted *x)
{
    if (fputs(MAGIC, f) == EOF)
        return -1;
    if (x->status != SB_EXTRACT_DONE) {
        const char *why = x->reason ? x->reason : "unknown error";
        if (write_text(f, "failed", why, strlen(why)) != 0)
            return -1;
    } else {
        if (fprintf(f, "pages %d\n", x->document_pages) < 0)
            return -1;
        for (size_t i = 0; i < x->npages; i++) {
            char tag[32];
            snprintf(tag, sizeof tag, "page %d", x->pages[i].number);
            if (write_text(f, tag, x->pages[i].text, x->pages[i].len) != 0)
                return -1;
        }
        if (x->reason && write_text(f, "note", x->reason, strlen(x->reason)) != 0)
            return -1;
    }
    return fputs("end\n", f) == EOF || fflush(f) != 0 ? -1 : 0;
}

struct cursor {
    const char *p, *end;
};

/* Consumes `word` followed by a space or a newline (returned in *after); false if absent. */
static bool take_word(struct cursor *c, const char *word, char *after)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n + 1 || memcmp(c->p, word, n) != 0 || (c->p[n] != ' ' && c->p[n] != '\n'))
        return false;
    *after = c->p[n];
    c->p += n + 1;
    return true;
}

/* A decimal number of at most 9 digits, then `stop`. */
static bool take_number(struct cursor *c, char stop, long *out)
{
    long v = 0;
    int digits = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && digits < 10) {
        v = v * 10 + (*c->p - '0');
        c->p++;
        digits++;
    }
    if (digits == 0 || digits > 9 || c->p >= c->end || *c->p != stop)
        return false;
    c->p++;
    *out = v;
    return true;
}

static bool is_clean_utf8(const char *s, size_t n)
{
    return !u8_check((const uint8_t *)s, n) && !memchr(s, '\0', n);
}

/* "<n>\n<n bytes>\n" after a tag: the text, copied into the arena. */
static const char *take_text(struct sb_arena *arena, struct cursor *c, size_t max, size_t *len)
{
    long n;
    if (!take_number(c, '\n', &n) || (size_t)n > max || (size_t)(c->end - c->p) < (size_t)n + 1 || c->p[n] != '\n' ||
        !is_clean_utf8(c->p, (size_t)n))
        return NULL;
    const char *text = sb_arena_strndup(arena, c->p, (size_t)n);
    c->p += n + 1;
    *len = (size_t)n;
    return text;
}

int sb_pdf_frames_parse(struct sb_arena *arena, const char *data, size_t len, struct sb_extracted *out)
{
    memset(out, 0, sizeof *out);
    struct cursor c = { data, data + len };
    size_t magic = strlen(MAGIC);
    if (len < magic || memcmp(data, MAGIC, magic) != 0)
        return -1;
    c.p += magic;
    char after;
    size_t n;
    if (take_word(&c, "failed", &after)) {
        const char *why = after == ' ' ? take_text(arena, &c, SB_PDF_MAX_REASON_BYTES, &n) : NULL;
        if (!why || !take_word(&c, "end", &after) || after != '\n' || c.p != c.end)
            return -1;
        out->status = SB_EXTRACT_FAILED;
        out->reason = why;
        return 0;
    }
    long count;
    if (!take_word(&c, "pages", &after) || after != ' ' || !take_number(&c, '\n', &count))
        return -1;
    out->document_pages = (int)count;
    out->pages = sb_arena_alloc(arena, SB_EXTRACT_MAX_PAGES * sizeof *out->pages);
    size_t text_bytes = 0;
    int last = 0;
    while (take_word(&c, "page", &after)) {
        long number;
        if (after != ' ' || !take_number(&c, ' ', &number) || number <= last || number > count ||
            out->npages >= SB_EXTRACT_MAX_PAGES)
            return -1;
        const char *text = take_text(arena, &c, SB_PDF_OUTPUT_CAP - text_bytes, &n);
        if (!text)
            return -1;
        text_bytes += n;
        out->pages[out->npages++] = (struct sb_text_page){ (int)number, text, n };
        last = (int)number;
    }
    if (take_word(&c, "note", &after) &&
        (after != ' ' || !(out->reason = take_text(arena, &c, SB_PDF_MAX_REASON_BYTES, &n))))
        return -1;
    if (!take_word(&c, "end", &after) || after != '\n' || c.p != c.end)
        return -1;
    out->status = SB_EXTRACT_DONE;
    return 0;
}

/* ---- the parent's side ---------------------------------------------------------------------------- */

void sb_pdf_reader_init(struct sb_pdf_reader *reader, int timeout_s, int cancel_fd)
{
    memset(reader, 0, sizeof *reader);
    int timeout_ms = timeout_s * 1000;
    int page_limit_ms = timeout_ms / 5 * 4 < PAGE_LIMIT_MS ? timeout_ms / 5 * 4 : PAGE_LIMIT_MS;
    snprintf(reader->max_ms_arg, sizeof reader->max_ms_arg, "%d", page_limit_ms);
    reader->argv_storage[0] = "studybase";
    reader->argv_storage[1] = "extract-pdf";
    reader->argv_storage[2] = "--max-ms";
    reader->argv_storage[3] = reader->max_ms_arg;
    reader->argv_storage[4] = NULL;
    reader->path = "/proc/self/exe"; /* resolved by the new process: this binary */
    reader->argv = reader->argv_storage;
    reader->timeout_ms = timeout_ms;
    reader->cpu_seconds = (unsigned)timeout_s + CPU_SLACK_S;
#if defined(__SANITIZE_ADDRESS__)
    reader->address_space = 0; /* ASan's shadow reservation exceeds any limit (pdf_child.h) */
#else
    reader->address_space = ADDRESS_SPACE;
#endif
    reader->cancel_fd = cancel_fd;
}

static void failed(struct sb_extracted *out, enum sb_extract_status status, const char *reason)
{
    memset(out, 0, sizeof *out);
    out->status = status;
    out->reason = reason;
}

void sb_pdf_read(struct sb_arena *arena, const struct sb_pdf_reader *reader, const char *data, size_t len,
                 struct sb_extracted *out)
{
    struct sb_child_spec spec = {
        .path = reader->path,
        .argv = reader->argv,
        .input = data,
        .input_len = len,
        .output_cap = SB_PDF_OUTPUT_CAP,
        .timeout_ms = reader->timeout_ms,
        .address_space = reader->address_space ? reader->address_space + 2 * (uint64_t)len : 0,
        .cpu_seconds = reader->cpu_seconds,
        .cancel_fd = reader->cancel_fd,
    };
    struct sb_child_result r;
    int rc = sb_child_run(&spec, &r);
    if (rc == 0 && sb_pdf_frames_parse(arena, r.output, r.output_len, out) == 0) {
        sb_child_result_free(&r);
        return;
    }
    char how[160];
    sb_child_describe(&r, &spec, how, sizeof how);
    if (rc == 0)
        snprintf(how, sizeof how, "its answer could not be understood");
    sb_log(SB_LOG_WARN, "PDF reader process failed", "how", how, "elapsed_ms",
           sb_arena_printf(arena, "%ld", r.elapsed_ms), NULL);
    switch (r.end) {
    case SB_CHILD_NOT_STARTED:
    case SB_CHILD_CANCELLED:
        failed(out, SB_EXTRACT_UNAVAILABLE, sb_arena_printf(arena, "The PDF reader %s", how));
        break;
    case SB_CHILD_TIMED_OUT:
        failed(out, SB_EXTRACT_FAILED,
               sb_arena_printf(arena, "The PDF could not be read: reading it was stopped after %d seconds "
                                      "(the file may be damaged, or built to be very slow to read)",
                               reader->timeout_ms / 1000));
        break;
    case SB_CHILD_SIGNALED:
        if (r.status == SIGXCPU || (r.status == SIGKILL && reader->cpu_seconds && r.elapsed_ms / 1000 >= reader->cpu_seconds)) {
            failed(out, SB_EXTRACT_FAILED,
                   sb_arena_printf(arena, "The PDF could not be read: reading it took more than %u seconds of processor "
                                          "time (the file may be damaged, or built to be very slow to read)",
                                   reader->cpu_seconds));
            break;
        }
        failed(out, SB_EXTRACT_FAILED,
               sb_arena_printf(arena, "The PDF could not be read: the PDF reader crashed on it (%s); the file may be "
                                      "damaged or too large to read. Saving it again as PDF may help",
                               how));
        break;
    default:
        failed(out, SB_EXTRACT_FAILED,
               sb_arena_printf(arena, "The PDF could not be read: the PDF reader gave no usable answer (%s)", how));
        break;
    }
    sb_child_result_free(&r);
}

/* ---- the child ------------------------------------------------------------------------------------ */

/* Reads stdin whole, at most max bytes; NULL (with *too_large) past that, or on a read error. */
static char *read_stdin(size_t max, size_t *len, bool *too_large)
{
    size_t cap = 1 << 20, n = 0;
    char *data = malloc(cap);
    *too_large = false;
    while (data) {
        if (n == cap) {
            if (cap > max) {
                *too_large = true;
                break;
            }
            char *grown = realloc(data, cap * 2);
            if (!grown)
                break;
            data = grown;
            cap *= 2;
        }
        ssize_t got = read(0, data + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            break;
        if (got == 0) {
            if (n > max) {
                *too_large = true;
                break;
            }
            *len = n;
            return data;
        }
        n += (size_t)got;
    }
    free(data);
    return NULL;
}

int sb_pdf_child_main(int argc, char **argv)
{
    /* if the server goes, so do we (the parent thread that waits for us, strictly) */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        return 1;
    long max_ms = PAGE_LIMIT_MS;
    if (argc == 3 && strcmp(argv[1], "--max-ms") == 0)
        max_ms = strtol(argv[2], NULL, 10);
    else if (argc != 1) {
        fprintf(stderr, "studybase extract-pdf: internal command (the server's PDF reader); usage: "
                        "studybase extract-pdf [--max-ms N] < file.pdf\n");
        return 2;
    }
    size_t len = 0;
    bool too_large;
    char *data = read_stdin(SB_PDF_MAX_INPUT_BYTES, &len, &too_large);
    struct sb_arena *arena = sb_arena_new();
    struct sb_extracted x;
    if (!data) {
        memset(&x, 0, sizeof x);
        x.status = SB_EXTRACT_FAILED;
        x.reason = too_large ? "The file is larger than 64 MB" : "The file could not be read";
    } else {
        sb_extract_pdf_in_process(arena, data, len, (int)max_ms, &x);
    }
    int rc = sb_pdf_frames_write(stdout, &x) == 0 ? 0 : 1;
    sb_arena_free(arena);
    free(data);
    return rc;
}
