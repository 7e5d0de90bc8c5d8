/* storage/mime: sniffing the real type of bytes, and matching a bucket's allowed types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/mime.h"

static const char *sniff_bytes(struct sb_arena *a, const void *bytes, size_t n)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fflush(f);
    const char *type = sb_mime_sniff(a, fileno(f));
    fclose(f);
    return type;
}

static void sniffs_a_pdf_and_a_png(void **state)
{
    struct sb_arena *a = sb_arena_new();
    static const char pdf[] = "%PDF-1.4\n1 0 obj <</Type/Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n";
    static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 'I', 'H', 'D', 'R',
                                         0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89 };
    assert_string_equal(sniff_bytes(a, pdf, sizeof pdf - 1), "application/pdf");
    assert_string_equal(sniff_bytes(a, png, sizeof png), "image/png");
    sb_arena_free(a);
}

static void sniffs_an_executable_as_no_document(void **state)
{
    struct sb_arena *a = sb_arena_new();
    static const unsigned char elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0, 1 };
    const char *type = sniff_bytes(a, elf, sizeof elf);
    assert_true(strncmp(type, "application/x-", 14) == 0);
    sb_arena_free(a);
}

static void essence_drops_parameters_and_case(void **state)
{
    struct sb_arena *a = sb_arena_new();
    assert_string_equal(sb_mime_essence(a, "Text/Plain;charset=UTF-8"), "text/plain");
    assert_null(sb_mime_essence(a, ""));
    assert_null(sb_mime_essence(a, NULL));
    sb_arena_free(a);
}

static void allowed_matches_exact_types_and_wildcards(void **state)
{
    const char *const seed[] = { "application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp" };
    assert_true(sb_mime_allowed("image/webp", seed, 5));
    assert_false(sb_mime_allowed("image/svg+xml", seed, 5));
    assert_false(sb_mime_allowed("application/x-sharedlib", seed, 5));
    const char *const images[] = { "image/*" };
    assert_true(sb_mime_allowed("image/svg+xml", images, 1));
    assert_false(sb_mime_allowed("imagex/png", images, 1));
    assert_false(sb_mime_allowed("application/pdf", images, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sniffs_a_pdf_and_a_png),
        cmocka_unit_test(sniffs_an_executable_as_no_document),
        cmocka_unit_test(essence_drops_parameters_and_case),
        cmocka_unit_test(allowed_matches_exact_types_and_wildcards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
