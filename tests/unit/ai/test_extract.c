/* ai/extract: a PDF's pages through poppler (sb_extract_pdf_in_process, what the extract-pdf
 * child runs), text and Markdown as they are, images not extractable; files that cannot be read
 * are failures with a reason a student can read; sb_extract_text hands a PDF to its reader
 * process and never parses it itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ai/extract.h"
#include "ai/pdf_child.h"
#include "minipdf.h"

static struct sb_arena *arena;

static int setup(void **state)
{
    arena = sb_arena_new();
    return 0;
}

static int teardown(void **state)
{
    sb_arena_free(arena);
    return 0;
}

static void extract(const char *mime, const char *data, size_t len, struct sb_extracted *out)
{
    if (strcmp(mime, "application/pdf") == 0)
        sb_extract_pdf_in_process(arena, data, len, SB_EXTRACT_MAX_SECONDS * 1000, out);
    else
        sb_extract_text(arena, mime, data, len, NULL, out);
}

static void extract_pdf(const char *const *pages, size_t n, bool encrypted, struct sb_extracted *out)
{
    size_t len;
    char *pdf = minipdf_write(pages, n, encrypted, &len);
    extract("application/pdf", pdf, len, out);
    free(pdf);
}

static void a_pdf_gives_the_text_of_each_page_numbered_from_one(void **state)
{
    const char *pages[] = {
        "Photosynthesis converts light energy.\nIt happens in the chloroplasts.",
        "Mitochondria release energy.",
        "Ribosomes build proteins.",
    };
    struct sb_extracted x;
    extract_pdf(pages, 3, false, &x);
    assert_int_equal(x.status, SB_EXTRACT_DONE);
    assert_null(x.reason);
    assert_int_equal(x.document_pages, 3);
    assert_int_equal(x.npages, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(x.pages[i].number, i + 1);
    assert_non_null(strstr(x.pages[0].text, "Photosynthesis converts light energy."));
    assert_non_null(strstr(x.pages[0].text, "It happens in the chloroplasts."));
    assert_null(strstr(x.pages[0].text, "Mitochondria"));
    assert_non_null(strstr(x.pages[1].text, "Mitochondria release energy."));
    assert_non_null(strstr(x.pages[2].text, "Ribosomes build proteins."));
}

static void a_pdf_without_text_is_done_with_a_note_that_none_was_found(void **state)
{
    const char *pages[] = { "" };
    struct sb_extracted x;
    extract_pdf(pages, 1, false, &x);
    assert_int_equal(x.status, SB_EXTRACT_DONE);
    assert_non_null(x.reason);
    assert_non_null(strstr(x.reason, "No text was found"));
}

static void a_password_protected_pdf_fails_saying_it_is_encrypted(void **state)
{
    const char *pages[] = { "secret" };
    struct sb_extracted x;
    extract_pdf(pages, 1, true, &x);
    assert_int_equal(x.status, SB_EXTRACT_FAILED);
    assert_non_null(strstr(x.reason, "The PDF is encrypted"));
    assert_int_equal(x.npages, 0);
}

static void bytes_that_are_no_pdf_fail_saying_so(void **state)
{
    struct sb_extracted x;
    extract("application/pdf", "just some text\n", 15, &x);
    assert_int_equal(x.status, SB_EXTRACT_FAILED);
    assert_true(strncmp(x.reason, "The file could not be read as PDF: ", 35) == 0);
}

static void a_pdf_cut_short_fails_or_gives_what_it_has_but_never_crashes(void **state)
{
    const char *pages[] = { "one", "two" };
    size_t len;
    char *pdf = minipdf_write(pages, 2, false, &len);
    for (size_t cut = 0; cut < len; cut += 7) {
        struct sb_extracted x;
        extract("application/pdf", pdf, cut, &x);
        assert_true(x.status == SB_EXTRACT_FAILED || x.status == SB_EXTRACT_DONE);
        if (x.status == SB_EXTRACT_FAILED)
            assert_non_null(x.reason);
    }
    free(pdf);
}

static void more_pages_than_the_limit_are_left_out_with_a_note(void **state)
{
    size_t n = SB_EXTRACT_MAX_PAGES + 5;
    const char **pages = calloc(n, sizeof *pages);
    for (size_t i = 0; i < n; i++)
        pages[i] = "page";
    struct sb_extracted x;
    extract_pdf(pages, n, false, &x);
    free(pages);
    assert_int_equal(x.status, SB_EXTRACT_DONE);
    assert_int_equal(x.document_pages, (int)n);
    assert_int_equal(x.npages, SB_EXTRACT_MAX_PAGES);
    assert_string_equal(x.reason, "Only the first 2000 pages were read");
}

static void no_page_is_begun_after_the_time_limit_but_the_first_always_is(void **state)
{
    const char *pages[] = { "first", "second", "third" };
    size_t len;
    char *pdf = minipdf_write(pages, 3, false, &len);
    struct sb_extracted x;
    sb_extract_pdf_in_process(arena, pdf, len, 0, &x);
    free(pdf);
    assert_int_equal(x.status, SB_EXTRACT_DONE);
    assert_int_equal(x.npages, 1);
    assert_non_null(strstr(x.pages[0].text, "first"));
    assert_int_equal(x.document_pages, 3);
    assert_string_equal(x.reason, "Reading stopped after page 1 of 3: it took too long");
}

static void text_and_markdown_are_taken_as_they_are_without_pages(void **state)
{
    const char *md = "# Cells\n\nA cell is the unit of life.\n\n- nucleus\n- membrane\n";
    struct sb_extracted x;
    extract("text/markdown", md, strlen(md), &x);
    assert_int_equal(x.status, SB_EXTRACT_DONE);
    assert_int_equal(x.npages, 1);
    assert_int_equal(x.pages[0].number, 0);
    assert_string_equal(x.pages[0].text, md);
    assert_int_equal(x.document_pages, 0);
    extract("text/plain", "\xEF\xBB\xBFplain \xC3\xA9t\xC3\xA9", 14, &x);
    assert_int_equal(x.status, SB_EXTRACT_DONE);
    assert_string_equal(x.pages[0].text, "plain \xC3\xA9t\xC3\xA9"); /* the byte order mark is dropped */
    assert_null(x.reason);
    extract("text/plain", " \n\n\t ", 5, &x);
    assert_int_equal(x.status, SB_EXTRACT_DONE);
    assert_string_equal(x.reason, "The file holds no text, only white space");
}

static void text_that_is_not_utf8_fails_naming_the_byte(void **state)
{
    struct sb_extracted x;
    extract("text/plain", "caf\xE9 au lait", 12, &x);   /* Latin-1 */
    assert_int_equal(x.status, SB_EXTRACT_FAILED);
    assert_string_equal(x.reason, "The file is not UTF-8 text (byte 3); save it as UTF-8 and upload it again");
    extract("text/markdown", "a\0b", 3, &x);
    assert_int_equal(x.status, SB_EXTRACT_FAILED);
    assert_non_null(strstr(x.reason, "(byte 1)"));
}

static void images_are_not_extractable_and_empty_files_fail(void **state)
{
    struct sb_extracted x;
    extract("image/png", "\x89PNG", 4, &x);
    assert_int_equal(x.status, SB_EXTRACT_NOT_EXTRACTABLE);
    assert_int_equal(x.npages, 0);
    extract("text/plain", "", 0, &x);
    assert_int_equal(x.status, SB_EXTRACT_FAILED);
    assert_string_equal(x.reason, "The file is empty");
}

static void a_pdf_is_read_by_the_reader_process_it_is_given(void **state)
{
    /* a stand-in reader that answers one page whatever it is sent: the text comes from it */
    char *argv[] = { "sh", "-c", "cat >/dev/null; printf 'studybase-pdf 1\\npages 1\\npage 1 5\\nhello\\nend\\n'", NULL };
    struct sb_pdf_reader reader;
    sb_pdf_reader_init(&reader, 10, -1);
    reader.path = "/bin/sh";
    reader.argv = argv;
    struct sb_extracted x;
    sb_extract_text(arena, "application/pdf", "%PDF-1.4 whatever", 17, &reader, &x);
    assert_int_equal(x.status, SB_EXTRACT_DONE);
    assert_int_equal(x.npages, 1);
    assert_string_equal(x.pages[0].text, "hello");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_pdf_gives_the_text_of_each_page_numbered_from_one, setup, teardown),
        cmocka_unit_test_setup_teardown(a_pdf_without_text_is_done_with_a_note_that_none_was_found, setup, teardown),
        cmocka_unit_test_setup_teardown(a_password_protected_pdf_fails_saying_it_is_encrypted, setup, teardown),
        cmocka_unit_test_setup_teardown(bytes_that_are_no_pdf_fail_saying_so, setup, teardown),
        cmocka_unit_test_setup_teardown(a_pdf_cut_short_fails_or_gives_what_it_has_but_never_crashes, setup, teardown),
        cmocka_unit_test_setup_teardown(more_pages_than_the_limit_are_left_out_with_a_note, setup, teardown),
        cmocka_unit_test_setup_teardown(no_page_is_begun_after_the_time_limit_but_the_first_always_is, setup, teardown),
        cmocka_unit_test_setup_teardown(text_and_markdown_are_taken_as_they_are_without_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(text_that_is_not_utf8_fails_naming_the_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(images_are_not_extractable_and_empty_files_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(a_pdf_is_read_by_the_reader_process_it_is_given, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
