/*
 * range: parsing a download's Range header (range.h).
 */
#include "storage/range.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Reads decimal digits at *p into *out; false when there are none or they overflow. */
static bool read_number(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t value = 0;
    if (!isdigit((unsigned char)*s))
        return false;
    for (; isdigit((unsigned char)*s); s++) {
        uint64_t digit = (uint64_t)(*s - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    *p = s;
    *out = value;
    return true;
}

static void skip_spaces(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

struct sb_byte_range sb_range_parse(const char *header, uint64_t size)
{
    struct sb_byte_range whole = { SB_RANGE_WHOLE, 0, 0 };
    if (!header)
        return whole;
    const char *p = header;
    skip_spaces(&p);
    if (strncasecmp(p, "bytes", 5) != 0)
        return whole;
    p += 5;
    if (*p++ != '=')
        return whole;
    uint64_t first = 0, last = 0;
    bool has_first = read_number(&p, &first);
    if (*p++ != '-')
        return whole;
    bool has_last = read_number(&p, &last);
    skip_spaces(&p);
    if (*p != '\0' || (!has_first && !has_last) || (has_first && has_last && last < first))
        return whole;   /* several ranges, trailing text, or no range at all */
    if (!has_first) {   /* the last `last` bytes */
        if (last == 0)
            return (struct sb_byte_range){ SB_RANGE_UNSATISFIABLE, 0, 0 };
        if (size == 0)
            return (struct sb_byte_range){ SB_RANGE_UNSATISFIABLE, 0, 0 };
        first = last >= size ? 0 : size - last;
        return (struct sb_byte_range){ SB_RANGE_PART, first, size - 1 };
    }
    if (first >= size)
        return (struct sb_byte_range){ SB_RANGE_UNSATISFIABLE, 0, 0 };
    if (!has_last || last >= size)
        last = size - 1;
    return (struct sb_byte_range){ SB_RANGE_PART, first, last };
}
