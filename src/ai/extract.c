/*
 * extract: PDF through poppler-glib (in the extract-pdf child), text and Markdown as they are
 * (extract.h).
 */
#include "ai/extract.h"

#include "ai/pdf_child.h"

#include "util/utf8.h"

#include <glib.h>
#include <poppler.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistr.h>

#define NOTE_PAGES "Only the first 2000 pages were read"
#define NOTE_TIME "Reading stopped after page %d of %d: it took too long"
#define NOTE_TEXT "Only the first 8 MB of text were read"
#define NOTE_EMPTY_TEXT "The file holds no text, only white space"
#define NOTE_NO_TEXT "No text was found in the PDF (a scanned document needs OCR, which is not done here)"

int sb_extract_reads_type(const char *mime)
{
    return mime && (strcmp(mime, "application/pdf") == 0 || strcmp(mime, "text/plain") == 0 ||
                    strcmp(mime, "text/markdown") == 0);
}

static void fail(struct sb_extracted *out, const char *reason)
{
    out->status = SB_EXTRACT_FAILED;
    out->reason = reason;
    out->pages = NULL;
    out->npages = 0;
}

/* A copy of text[0..len) that is valid UTF-8: each invalid byte becomes U+FFFD, NUL a space. */
static char *valid_utf8_copy(struct sb_arena *arena, const char *text, size_t len, size_t *out_len)
{
    char *out = sb_arena_alloc(arena, len * 3 + 1); /* one byte can become three */
    size_t n = 0, i = 0;
    while (i < len) {
        ucs4_t uc;
        int k = u8_mbtoucr(&uc, (const uint8_t *)text + i, len - i);
        if (k <= 0) {
            memcpy(out + n, "\xEF\xBF\xBD", 3);
            n += 3;
            i++;
        } else if (uc == 0) {
            out[n++] = ' ';
            i++;
        } else {
            memcpy(out + n, text + i, (size_t)k);
            n += (size_t)k;
            i += (size_t)k;
        }
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

/* ---- text and Markdown ------------------------------------------------------------------------ */

static void extract_plain(struct sb_arena *arena, const char *data, size_t len, struct sb_extracted *out)
{
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    const uint8_t *bad = u8_check((const uint8_t *)data, len);
    if (bad || memchr(data, '\0', len)) {
        size_t at = bad ? (size_t)((const char *)bad - data) : (size_t)((const char *)memchr(data, '\0', len) - data);
        fail(out, sb_arena_printf(arena, "The file is not UTF-8 text (byte %zu); save it as UTF-8 and upload it again", at));
        return;
    }
    if (len > SB_EXTRACT_MAX_TEXT_BYTES) {
        len = sb_utf8_prefix_n(data, len, SB_EXTRACT_MAX_TEXT_BYTES);
        out->reason = NOTE_TEXT;
    }
    size_t k = 0;
    while (k < len && g_ascii_isspace(data[k]))
        k++;
    if (k == len)
        out->reason = NOTE_EMPTY_TEXT;
    out->pages = sb_arena_alloc(arena, sizeof *out->pages);
    out->pages[0] = (struct sb_text_page){ 0, sb_arena_strndup(arena, data, len), len };
    out->npages = 1;
    out->status = SB_EXTRACT_DONE;
}

/* ---- PDF ---------------------------------------------------------------------------------------- */

static const char *open_failure(struct sb_arena *arena, const GError *error)
{
    if (error && error->domain == POPPLER_ERROR && error->code == POPPLER_ERROR_ENCRYPTED)
        return "The PDF is encrypted (it needs a password to open); upload a copy without a password";
    return sb_arena_printf(arena, "The file could not be read as PDF: %s",
                           error && error->message ? error->message : "unknown error");
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Reads the pages of an open document into out, within the limits (the time limit is checked
 * between pages, so at least one page is read). */
static void read_pages(struct sb_arena *arena, PopplerDocument *doc, double deadline, struct sb_extracted *out)
{
    int total = poppler_document_get_n_pages(doc);
    int wanted = total > SB_EXTRACT_MAX_PAGES ? SB_EXTRACT_MAX_PAGES : total;
    if (total > SB_EXTRACT_MAX_PAGES)
        out->reason = NOTE_PAGES;
    out->document_pages = total;
    out->pages = sb_arena_alloc(arena, (size_t)(wanted > 0 ? wanted : 1) * sizeof *out->pages);
    size_t kept_bytes = 0;
    bool any_text = false;
    for (int i = 0; i < wanted; i++) {
        if (i > 0 && seconds_now() > deadline) {
            out->reason = sb_arena_printf(arena, NOTE_TIME, i, total);
            break;
        }
        PopplerPage *page = poppler_document_get_page(doc, i);
        char *text = page ? poppler_page_get_text(page) : NULL;
        size_t len = text ? strlen(text) : 0;
        if (kept_bytes + len > SB_EXTRACT_MAX_TEXT_BYTES) {
            out->reason = NOTE_TEXT;
            g_free(text);
            if (page)
                g_object_unref(page);
            break;
        }
        kept_bytes += len;
        size_t clean_len;
        char *clean = valid_utf8_copy(arena, text ? text : "", len, &clean_len);
        out->pages[out->npages++] = (struct sb_text_page){ i + 1, clean, clean_len };
        for (size_t k = 0; k < clean_len && !any_text; k++)
            any_text = !g_ascii_isspace(clean[k]);
        g_free(text);
        if (page)
            g_object_unref(page);
    }
    if (!any_text && !out->reason)
        out->reason = NOTE_NO_TEXT;
}

static void extract_pdf(struct sb_arena *arena, const char *data, size_t len, double deadline, struct sb_extracted *out)
{
    GBytes *bytes = g_bytes_new_static(data, len);
    GError *error = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &error);
    if (!doc) {
        fail(out, open_failure(arena, error));
    } else {
        read_pages(arena, doc, deadline, out);
        out->status = SB_EXTRACT_DONE;
        g_object_unref(doc);
    }
    if (error)
        g_error_free(error);
    g_bytes_unref(bytes);
}

void sb_extract_pdf_in_process(struct sb_arena *arena, const char *data, size_t len, int max_ms,
                               struct sb_extracted *out)
{
    memset(out, 0, sizeof *out);
    if (len == 0) {
        fail(out, "The file is empty");
        return;
    }
    extract_pdf(arena, data, len, seconds_now() + max_ms / 1000.0, out);
}

void sb_extract_text(struct sb_arena *arena, const char *mime, const char *data, size_t len,
                     const struct sb_pdf_reader *reader, struct sb_extracted *out)
{
    memset(out, 0, sizeof *out);
    if (!sb_extract_reads_type(mime)) {
        out->status = SB_EXTRACT_NOT_EXTRACTABLE;
        out->reason = "Images are not read for text: only PDF, plain text and Markdown files are";
        return;
    }
    if (len == 0) {
        fail(out, "The file is empty");
        return;
    }
    if (strcmp(mime, "application/pdf") != 0) {
        extract_plain(arena, data, len, out);
        return;
    }
    struct sb_pdf_reader fallback;
    if (!reader) {
        sb_pdf_reader_init(&fallback, SB_PDF_TIMEOUT_S, -1);
        reader = &fallback;
    }
    sb_pdf_read(arena, reader, data, len, out);
}
