/*
 * range: the Range header of a download (RFC 9110, section 14): which bytes of a file of a
 * known size the client asks for. One range only ("bytes=0-99", "bytes=100-", "bytes=-100");
 * a header this does not take (another unit, several ranges, bad syntax) is ignored and the
 * whole file is sent, as the RFC allows.
 */
#ifndef SB_STORAGE_RANGE_H
#define SB_STORAGE_RANGE_H

#include <stdint.h>

enum sb_range_kind {
    SB_RANGE_WHOLE,          /* no usable Range: send everything (200) */
    SB_RANGE_PART,           /* send [first, last] (206) */
    SB_RANGE_UNSATISFIABLE,  /* the range starts past the end (416) */
};

struct sb_byte_range {
    enum sb_range_kind kind;
    uint64_t first, last;    /* inclusive, for SB_RANGE_PART */
};

/* What header (may be NULL) asks of a file of size bytes. */
struct sb_byte_range sb_range_parse(const char *header, uint64_t size);

#endif
