/*
 * minipdf: writes small, valid PDF files for tests and benchmarks: one page per string, each
 * line of the string ('\n' separated) a line of Helvetica text, with a correct cross-reference
 * table. Text must be printable ASCII without '(', ')' or '\'. Optionally with an /Encrypt
 * dictionary whose passwords match nothing, as a password-protected PDF looks to a reader
 * without the password. Returns malloc'd bytes (the caller frees) and sets *len.
 */
#ifndef SB_TEST_MINIPDF_H
#define SB_TEST_MINIPDF_H

#include <stdbool.h>
#include <stddef.h>

char *minipdf_write(const char *const *pages, size_t npages, bool encrypted, size_t *len);

/* A one-page PDF that never finishes: the page draws form X0 ten times, X0 draws X1 ten times,
 * ... down to X(levels-1), which draws a line: 10^levels drawings for a few kilobytes (a "PDF
 * bomb"; with 12 levels poppler works on page 1 for days, its memory flat). */
char *minipdf_write_form_bomb(int levels, size_t *len);

#endif
