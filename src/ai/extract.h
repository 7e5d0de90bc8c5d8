/*
 * extract: a material's file (its bytes and MIME type) to pages of text.
 *
 *   application/pdf             poppler (poppler-glib): the text of each page, in reading
 *                               order as poppler lays it out; no OCR, so a scanned PDF has none.
 *                               A PDF is untrusted input to a large C++ parser: the server never
 *                               parses one in its own process. sb_extract_text hands it to a
 *                               short-lived child (`studybase extract-pdf`, pdf_child.h), which
 *                               calls sb_extract_pdf_in_process; a child that crashes, hangs or
 *                               answers nonsense is a failed extraction, not a dead server.
 *   text/plain, text/markdown   the file as it is (one page numbered 0: no pages); it must be
 *                               UTF-8 (a byte order mark is dropped) without NUL bytes.
 *   anything else               not extractable (images): not an error.
 *
 * Limits, so one upload cannot take the server's memory or the worker's day: at most
 * SB_EXTRACT_MAX_PAGES pages and SB_EXTRACT_MAX_TEXT_BYTES bytes of text are kept, and no new
 * page is begun after SB_EXTRACT_MAX_SECONDS (the rest is left out and the result's note says
 * so; a single page poppler never finishes is not bounded); the file itself is at most the
 * materials bucket's 50 MB. Page text is made valid UTF-8 (an invalid byte becomes U+FFFD, NUL a space).
 *
 * Failures are results, never crashes: status SB_EXTRACT_FAILED with a reason a student can
 * read ("the PDF is encrypted ...", "the file could not be read as PDF: ...", "the PDF reader
 * was stopped ..."). Everything returned lives in the arena. Thread-safe (each call has its own
 * poppler document, or its own child).
 */
#ifndef SB_AI_EXTRACT_H
#define SB_AI_EXTRACT_H

#include <stddef.h>

#include "ai/chunk.h"
#include "util/arena.h"

#define SB_EXTRACT_MAX_PAGES 2000
#define SB_EXTRACT_MAX_TEXT_BYTES (8 * 1024 * 1024)
#define SB_EXTRACT_MAX_SECONDS 120

enum sb_extract_status {
    SB_EXTRACT_DONE,
    SB_EXTRACT_FAILED,
    SB_EXTRACT_NOT_EXTRACTABLE,
    SB_EXTRACT_UNAVAILABLE,       /* the PDF reader could not run (not the file's fault): try later */
};

struct sb_extracted {
    enum sb_extract_status status;
    /* FAILED: why. DONE: a note when something was left out or no text was found, else NULL. */
    const char *reason;
    struct sb_text_page *pages;   /* the pages that were read, in order */
    size_t npages;
    int document_pages;           /* pages in the PDF (all of them, read or not); 0 for text */
};

/* Whether files of this MIME type are read for text (PDF, plain text, Markdown). */
int sb_extract_reads_type(const char *mime);

struct sb_pdf_reader;

/* Extracts the text of data[0..len), a file of type mime: text and Markdown here, a PDF
 * through the reader given (pdf_child.h; NULL: the default one, this binary's extract-pdf). */
void sb_extract_text(struct sb_arena *arena, const char *mime, const char *data, size_t len,
                     const struct sb_pdf_reader *reader, struct sb_extracted *out);

/* Reads a PDF with poppler IN THIS PROCESS, beginning no page after max_ms. Only the
 * extract-pdf child (pdf_child.c) and the benchmark call it: never the server. */
void sb_extract_pdf_in_process(struct sb_arena *arena, const char *data, size_t len, int max_ms,
                               struct sb_extracted *out);

#endif
