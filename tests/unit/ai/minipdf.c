/*
 * minipdf: a PDF writer for tests (minipdf.h). Objects: 1 catalog, 2 page tree, 3 font, then
 * per page its page object and its content stream; the xref table records each object's byte
 * offset as written.
 */
#include "minipdf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
    char *data;
    size_t len, cap;
    size_t *offsets;   /* offsets[i] = where object i starts */
};

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    while (o->len + (size_t)n + 1 > o->cap) {
        o->cap = o->cap ? o->cap * 2 : 4096;
        o->data = realloc(o->data, o->cap);
    }
    va_start(ap, fmt);
    vsnprintf(o->data + o->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

/* The content stream of a page: each line of text a Tj, 14 points apart. */
static char *content_of(const char *text)
{
    struct out c = { 0 };
    put(&c, "BT /F1 12 Tf 14 TL 72 750 Td\n");
    const char *line = text;
    for (;;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        put(&c, "(%.*s) Tj T*\n", (int)n, line);
        if (!nl)
            break;
        line = nl + 1;
    }
    put(&c, "ET\n");
    return c.data;
}

char *minipdf_write(const char *const *pages, size_t npages, bool encrypted, size_t *len)
{
    size_t nobjects = 3 + 2 * npages + (encrypted ? 1 : 0);
    struct out o = { 0 };
    o.offsets = calloc(nobjects + 1, sizeof *o.offsets);
    put(&o, "%%PDF-1.4\n");
    o.offsets[1] = o.len;
    put(&o, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    o.offsets[2] = o.len;
    put(&o, "2 0 obj\n<< /Type /Pages /Count %zu /Kids [", npages);
    for (size_t i = 0; i < npages; i++)
        put(&o, " %zu 0 R", 4 + 2 * i);
    put(&o, " ] >>\nendobj\n");
    o.offsets[3] = o.len;
    put(&o, "3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
    for (size_t i = 0; i < npages; i++) {
        char *content = content_of(pages[i]);
        o.offsets[4 + 2 * i] = o.len;
        put(&o, "%zu 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
                " /Resources << /Font << /F1 3 0 R >> >> /Contents %zu 0 R >>\nendobj\n", 4 + 2 * i, 5 + 2 * i);
        o.offsets[5 + 2 * i] = o.len;
        put(&o, "%zu 0 obj\n<< /Length %zu >>\nstream\n%sendstream\nendobj\n", 5 + 2 * i, strlen(content), content);
        free(content);
    }
    if (encrypted) {
        o.offsets[nobjects] = o.len;
        put(&o, "%zu 0 obj\n<< /Filter /Standard /V 1 /R 2 /P -4"
                " /O <0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef>"
                " /U <fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210> >>\nendobj\n", nobjects);
    }
    size_t xref = o.len;
    put(&o, "xref\n0 %zu\n0000000000 65535 f \n", nobjects + 1);
    for (size_t i = 1; i <= nobjects; i++)
        put(&o, "%010zu 00000 n \n", o.offsets[i]);
    put(&o, "trailer\n<< /Size %zu /Root 1 0 R", nobjects + 1);
    if (encrypted)
        put(&o, " /Encrypt %zu 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]", nobjects);
    put(&o, " >>\nstartxref\n%zu\n%%%%EOF\n", xref);
    free(o.offsets);
    *len = o.len;
    return o.data;
}

char *minipdf_write_form_bomb(int levels, size_t *len)
{
    const char *ten = "/X Do /X Do /X Do /X Do /X Do /X Do /X Do /X Do /X Do /X Do";
    const char *leaf = "0 0 m 1 1 l S";
    size_t nobjects = 4 + (size_t)levels;
    struct out o = { 0 };
    o.offsets = calloc(nobjects + 1, sizeof *o.offsets);
    put(&o, "%%PDF-1.4\n");
    o.offsets[1] = o.len;
    put(&o, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    o.offsets[2] = o.len;
    put(&o, "2 0 obj\n<< /Type /Pages /Count 1 /Kids [3 0 R] >>\nendobj\n");
    o.offsets[3] = o.len;
    put(&o, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            " /Resources << /XObject << /X 5 0 R >> >> /Contents 4 0 R >>\nendobj\n");
    o.offsets[4] = o.len;
    put(&o, "4 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n", strlen(ten) + 1, ten);
    for (int i = 0; i < levels; i++) {
        size_t id = 5 + (size_t)i;
        bool last = i == levels - 1;
        const char *body = last ? leaf : ten;
        o.offsets[id] = o.len;
        put(&o, "%zu 0 obj\n<< /Type /XObject /Subtype /Form /BBox [0 0 10 10]", id);
        if (last)
            put(&o, " /Resources << >>");
        else
            put(&o, " /Resources << /XObject << /X %zu 0 R >> >>", id + 1);
        put(&o, " /Length %zu >>\nstream\n%s\nendstream\nendobj\n", strlen(body) + 1, body);
    }
    size_t xref = o.len;
    put(&o, "xref\n0 %zu\n0000000000 65535 f \n", nobjects + 1);
    for (size_t i = 1; i <= nobjects; i++)
        put(&o, "%010zu 00000 n \n", o.offsets[i]);
    put(&o, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", nobjects + 1, xref);
    free(o.offsets);
    *len = o.len;
    return o.data;
}
