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

#endif
