/* ai/pdf_child: the PDF read in a child process. The framed answer round-trips and anything
 * off-format is refused; the real child (the built studybase's extract-pdf, SB_TEST_STUDYBASE)
 * reads a PDF, and a PDF that never finishes ends as a failure when its reader is killed;
 * stand-in readers (/bin/sh) that crash, answer nonsense, cannot start or are cancelled give
 * failures (or "try later") with reasons, never a crash of ours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

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

/* The production reader, pointed at the binary the build made (this test is not studybase). */
static void real_reader(struct sb_pdf_reader *r, int timeout_s)
{
    sb_pdf_reader_init(r, timeout_s, -1);
    const char *exe = getenv("SB_TEST_STUDYBASE");
    assert_non_null(exe);
    r->path = exe;
}

/* A stand-in reader: sh -c script. */
static void script_reader(struct sb_pdf_reader *r, const char *script)
{
    static char *argv[4];
    argv[0] = "sh";
    argv[1] = "-c";
    argv[2] = (char *)script;
    sb_pdf_reader_init(r, 10, -1);
    r->path = "/bin/sh";
    r->argv = argv;
}

static int parse(const char *text, struct sb_extracted *x)
{
    return sb_pdf_frames_parse(arena, text, strlen(text), x);
}

static void an_answer_written_is_parsed_back_the_same(void **state)
{
    struct sb_text_page pages[] = { { 1, "first page\n", 11 }, { 3, "th\xC3\xAFrd", 6 } };
    struct sb_extracted x = { SB_EXTRACT_DONE, "Only the first 2000 pages were read", pages, 2, 2500 };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(sb_pdf_frames_write(f, &x), 0);
    fclose(f);
    struct sb_extracted y;
    assert_int_equal(sb_pdf_frames_parse(arena, buf, len, &y), 0);
    free(buf);
    assert_int_equal(y.status, SB_EXTRACT_DONE);
    assert_string_equal(y.reason, x.reason);
    assert_int_equal(y.document_pages, 2500);
    assert_int_equal(y.npages, 2);
    assert_int_equal(y.pages[1].number, 3);
    assert_int_equal(y.pages[0].len, 11);
    assert_string_equal(y.pages[0].text, "first page\n");
    assert_string_equal(y.pages[1].text, "th\xC3\xAFrd");
}

static void a_failed_answer_gives_its_reason(void **state)
{
    struct sb_extracted x;
    assert_int_equal(parse("studybase-pdf 1\nfailed 17\nThe PDF is broken\nend\n", &x), 0);
    assert_int_equal(x.status, SB_EXTRACT_FAILED);
    assert_string_equal(x.reason, "The PDF is broken");
}

static void answers_off_the_format_are_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "studybase-pdf 2\npages 0\nend\n",                                  /* another version */
        "studybase-pdf 1\npages 1\npage 1 5\nhello\n",                      /* no end */
        "studybase-pdf 1\npages 1\nend\nmore",                              /* bytes after the end */
        "studybase-pdf 1\npages 1\npage 0 2\nhi\nend\n",                    /* page 0 */
        "studybase-pdf 1\npages 1\npage 2 2\nhi\nend\n",                    /* past the count */
        "studybase-pdf 1\npages 3\npage 2 2\nhi\npage 2 2\nhi\nend\n",      /* not rising */
        "studybase-pdf 1\npages 1\npage 1 9\nhi\nend\n",                    /* length past the data */
        "studybase-pdf 1\npages 1\npage 1 3\nhi\nend\n",                    /* length off by one */
        "studybase-pdf 1\npages 1\npage 1 2\n\xC3\x28\nend\n",              /* not UTF-8 */
        "studybase-pdf 1\npages -1\nend\n",                                 /* negative */
        "studybase-pdf 1\npages 99999999999\nend\n",                        /* too many digits */
        "studybase-pdf 1\nfailed 2\nno\npages 1\nend\n",                    /* failed, then more */
        "studybase-pdf 1\npages 1\nnote 2\nok\nnote 2\nok\nend\n",          /* two notes */
        "studybase-pdf 1\nwhat 1\n\nend\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct sb_extracted x;
        if (parse(bad[i], &x) != -1)
            fail_msg("accepted answer %zu", i);
    }
    struct sb_extracted x;
    assert_int_equal(sb_pdf_frames_parse(arena, "studybase-pdf 1\npages 1\npage 1 3\na\0b\nend\n", 38, &x), -1);
}

static void the_real_reader_reads_a_pdf_page_by_page(void **state)
{
    const char *pages[] = { "Osmosis moves water.", "Diffusion moves solutes." };
    size_t len;
    char *pdf = minipdf_write(pages, 2, false, &len);
    struct sb_pdf_reader reader;
    real_reader(&reader, 60);
    struct sb_extracted x;
    sb_pdf_read(arena, &reader, pdf, len, &x);
    free(pdf);
    assert_int_equal(x.status, SB_EXTRACT_DONE);
    assert_null(x.reason);
    assert_int_equal(x.document_pages, 2);
    assert_int_equal(x.npages, 2);
    assert_non_null(strstr(x.pages[0].text, "Osmosis moves water."));
    assert_non_null(strstr(x.pages[1].text, "Diffusion moves solutes."));
}

static void the_real_reader_reports_a_broken_file_as_its_reason(void **state)
{
    struct sb_pdf_reader reader;
    real_reader(&reader, 60);
    struct sb_extracted x;
    sb_pdf_read(arena, &reader, "not a pdf at all\n", 17, &x);
    assert_int_equal(x.status, SB_EXTRACT_FAILED);
    assert_true(strncmp(x.reason, "The file could not be read as PDF: ", 35) == 0);
}

static void a_pdf_that_never_finishes_fails_when_its_reader_is_killed(void **state)
{
    size_t len;
    char *pdf = minipdf_write_form_bomb(12, &len);
    struct sb_pdf_reader reader;
    real_reader(&reader, 2);
    struct sb_extracted x;
    sb_pdf_read(arena, &reader, pdf, len, &x);
    free(pdf);
    assert_int_equal(x.status, SB_EXTRACT_FAILED);
    assert_string_equal(x.reason, "The PDF could not be read: reading it was stopped after 2 seconds "
                                  "(the file may be damaged, or built to be very slow to read)");
}

static void a_reader_that_crashes_is_a_failure_saying_so(void **state)
{
    struct sb_pdf_reader reader;
    script_reader(&reader, "cat >/dev/null; printf 'studybase-pdf 1\\npages 1\\n'; kill -SEGV $$");
    struct sb_extracted x;
    sb_pdf_read(arena, &reader, "%PDF-1.4", 8, &x);
    assert_int_equal(x.status, SB_EXTRACT_FAILED);
    assert_non_null(strstr(x.reason, "The PDF could not be read: the PDF reader crashed on it (killed by signal 11"));
    assert_int_equal(x.npages, 0);
}

static void a_reader_that_answers_nonsense_is_a_failure(void **state)
{
    struct sb_pdf_reader reader;
    script_reader(&reader, "cat >/dev/null; echo 'here is your text'");
    struct sb_extracted x;
    sb_pdf_read(arena, &reader, "%PDF-1.4", 8, &x);
    assert_int_equal(x.status, SB_EXTRACT_FAILED);
    assert_string_equal(x.reason,
                        "The PDF could not be read: the PDF reader gave no usable answer (its answer could not be understood)");
}

static void a_reader_that_exits_with_an_error_is_a_failure_even_with_a_good_answer(void **state)
{
    struct sb_pdf_reader reader;
    script_reader(&reader, "cat >/dev/null; printf 'studybase-pdf 1\\npages 0\\nend\\n'; exit 3");
    struct sb_extracted x;
    sb_pdf_read(arena, &reader, "%PDF-1.4", 8, &x);
    assert_int_equal(x.status, SB_EXTRACT_FAILED);
    assert_string_equal(x.reason, "The PDF could not be read: the PDF reader gave no usable answer (exited with status 3)");
}

static void a_reader_that_cannot_start_or_is_cancelled_means_try_later(void **state)
{
    struct sb_pdf_reader reader;
    sb_pdf_reader_init(&reader, 10, -1);
    reader.path = "/nonexistent/studybase";
    struct sb_extracted x;
    sb_pdf_read(arena, &reader, "%PDF-1.4", 8, &x);
    assert_int_equal(x.status, SB_EXTRACT_UNAVAILABLE);

    script_reader(&reader, "sleep 30");
    reader.cancel_fd = eventfd(1, EFD_CLOEXEC);
    sb_pdf_read(arena, &reader, "%PDF-1.4", 8, &x);
    close(reader.cancel_fd);
    assert_int_equal(x.status, SB_EXTRACT_UNAVAILABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(an_answer_written_is_parsed_back_the_same, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failed_answer_gives_its_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(answers_off_the_format_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(the_real_reader_reads_a_pdf_page_by_page, setup, teardown),
        cmocka_unit_test_setup_teardown(the_real_reader_reports_a_broken_file_as_its_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(a_pdf_that_never_finishes_fails_when_its_reader_is_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(a_reader_that_crashes_is_a_failure_saying_so, setup, teardown),
        cmocka_unit_test_setup_teardown(a_reader_that_answers_nonsense_is_a_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(a_reader_that_exits_with_an_error_is_a_failure_even_with_a_good_answer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_reader_that_cannot_start_or_is_cancelled_means_try_later, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
