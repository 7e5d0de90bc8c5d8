/*
 * pdf_child: a PDF's text, read by a short-lived child process instead of the server.
 *
 * Owner: ai (src/ai/). The process mechanics (spawn, empty environment, limits, deadline,
 * output cap, reaping) are util/child.h; this file is what is PDF about it: the hidden
 * subcommand the child runs, the framed answer it writes and the parent's reading of it.
 *
 * The child is this very binary, `/proc/self/exe extract-pdf --max-ms N` (an internal
 * subcommand, not listed in --help): it reads the PDF on stdin (at most 64 MiB), reads it with
 * poppler (sb_extract_pdf_in_process: no page begun after N ms) and writes on stdout, then
 * exits 0:
 *
 *   studybase-pdf 1\n                    the format and its version, first
 *   failed <n>\n<n bytes>\n              the file could not be opened: the reason (then end)
 *   pages <count>\n                      or: the document's page count, then
 *   page <number> <n>\n<n bytes>\n       each page read, numbers rising from 1, text UTF-8
 *   note <n>\n<n bytes>\n                at most one: what was left out, or that no text was found
 *   end\n                                last: nothing may follow
 *
 * The parent trusts none of it: the answer is read with a cap (3 x 8 MiB of text plus 1 MiB),
 * every number and length is checked, texts must be UTF-8 without NUL, page numbers must rise
 * and stay within the count and SB_EXTRACT_MAX_PAGES, reasons and notes are at most 1000
 * bytes. Anything else — a crash, a signal, a non-zero exit, the deadline, too much output,
 * a frame that does not parse — is SB_EXTRACT_FAILED with a reason the student can read;
 * a reader that could not start at all, or was cancelled (the server stopping), is
 * SB_EXTRACT_UNAVAILABLE (not the file's fault: the extractor tries again later).
 *
 * Limits of the child: wall clock timeout (SB_PDF_TIMEOUT_S, 150 s; config SB_PDF_TIMEOUT_S),
 * RLIMIT_CPU timeout + 30 s, RLIMIT_AS 1 GiB plus twice the file, no core file. In a build with
 * AddressSanitizer (the test build) RLIMIT_AS is not set: ASan reserves terabytes of address
 * space for its shadow at start, so no address-space limit can hold it.
 */
#ifndef SB_AI_PDF_CHILD_H
#define SB_AI_PDF_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ai/extract.h"
#include "util/arena.h"

#define SB_PDF_TIMEOUT_S 150
#define SB_PDF_MAX_INPUT_BYTES (64u * 1024 * 1024)
#define SB_PDF_OUTPUT_CAP (3u * SB_EXTRACT_MAX_TEXT_BYTES + 1024u * 1024)
#define SB_PDF_MAX_REASON_BYTES 1000

/* How to run the reader: the program, its argv, its limits. */
struct sb_pdf_reader {
    const char *path;            /* the program (absolute) */
    char *const *argv;           /* its argv, NULL-terminated */
    int timeout_ms;              /* wall clock, then killed */
    unsigned cpu_seconds;        /* RLIMIT_CPU; 0: none */
    uint64_t address_space;      /* RLIMIT_AS beyond twice the input; 0: none */
    int cancel_fd;               /* -1, or readable when the server stops: the child is killed */
    char *argv_storage[5];
    char max_ms_arg[24];
};

/* The production reader: /proc/self/exe extract-pdf (this binary, even if its file was
 * replaced since), timeout_s of wall clock, the limits above. */
void sb_pdf_reader_init(struct sb_pdf_reader *reader, int timeout_s, int cancel_fd);

/* Reads the PDF data[0..len) through the reader; fills out (in the arena), never crashes. */
void sb_pdf_read(struct sb_arena *arena, const struct sb_pdf_reader *reader, const char *data, size_t len,
                 struct sb_extracted *out);

/* The answer's frames for an extraction result (status DONE or FAILED), to f. 0, or -1 on a
 * write error. */
int sb_pdf_frames_write(FILE *f, const struct sb_extracted *x);

/* Parses an answer; 0 and out filled (status DONE or FAILED), or -1 when it is not exactly
 * a well-formed answer. */
int sb_pdf_frames_parse(struct sb_arena *arena, const char *data, size_t len, struct sb_extracted *out);

/* The `extract-pdf` subcommand (argv[0] is "extract-pdf"): the child's whole life. */
int sb_pdf_child_main(int argc, char **argv);

#endif
