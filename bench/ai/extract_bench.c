/*
 * extract_bench: the materials pipeline's throughput on one PDF, with the server's own code
 * (src/ai/extract.c, chunk.c, embed_lexical.c): read the file, extract each page's text through
 * poppler, cut it into chunks, embed every chunk with the built-in lexical embedder.
 *
 *   extract_bench gen FILE PAGES   writes a PDF of PAGES pages of English-like text (fixed seed:
 *                                  40 lines of 12 words a page, a blank line every 8 lines)
 *   extract_bench run-child FILE RUNS   the same with the PDF read the server's way, by a child
 *                                  process (this program's extract-pdf, pdf_child.h)
 *   extract_bench run FILE RUNS    times the pipeline RUNS times (PDF read in this process); one line per run:
 *                                  "pages P chunks C total_s T extract_s E chunk_s K embed_s M"
 */
#include "ai/chunk.h"
#include "ai/embed_lexical.h"
#include "ai/extract.h"
#include "ai/pdf_child.h"
#include "minipdf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const vocabulary[] = {
    "the", "cell", "energy", "light", "of", "and", "photosynthesis", "membrane", "protein", "is",
    "a", "in", "chlorophyll", "glucose", "mitochondria", "enzyme", "reaction", "carbon", "dioxide", "water",
    "which", "converts", "stores", "releases", "molecules", "through", "cycle", "process", "plants", "animals",
    "gradient", "transport", "active", "passive", "diffusion", "osmosis", "nucleus", "ribosome", "genes", "DNA",
    "replication", "transcription", "translation", "amino", "acids", "structure", "function", "example", "for", "student",
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int generate(const char *file, int npages)
{
    unsigned seed = 12345;
    const char **pages = calloc((size_t)npages, sizeof *pages);
    for (int p = 0; p < npages; p++) {
        size_t cap = 40 * 12 * 16 + 64, len = 0;
        char *text = malloc(cap);
        for (int line = 0; line < 40; line++) {
            if (line > 0 && line % 8 == 0)
                len += (size_t)snprintf(text + len, cap - len, "\n");
            for (int w = 0; w < 12; w++) {
                seed = seed * 1103515245u + 12345u;
                const char *word = vocabulary[(seed >> 16) % (sizeof vocabulary / sizeof *vocabulary)];
                len += (size_t)snprintf(text + len, cap - len, "%s%s", w ? " " : "", word);
            }
            len += (size_t)snprintf(text + len, cap - len, "%s", line < 39 ? "\n" : "");
        }
        pages[p] = text;
    }
    size_t len;
    char *pdf = minipdf_write(pages, (size_t)npages, false, &len);
    FILE *f = fopen(file, "wb");
    int ok = f && fwrite(pdf, 1, len, f) == len;
    if (f)
        fclose(f);
    for (int p = 0; p < npages; p++)
        free((char *)pages[p]);
    free(pages);
    free(pdf);
    return ok ? 0 : 1;
}

static char *read_file(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n);
    *len = fread(data, 1, (size_t)n, f);
    fclose(f);
    return data;
}

static bool through_child;

static int run_once(const char *file)
{
    double t0 = now_s();
    size_t len;
    char *data = read_file(file, &len);
    if (!data)
        return 1;
    struct sb_arena *arena = sb_arena_new();
    struct sb_extracted x;
    if (through_child) { /* the server's way: this program's extract-pdf as a child process */
        static char *argv[] = { "extract_bench", "extract-pdf", NULL };
        struct sb_pdf_reader reader;
        sb_pdf_reader_init(&reader, SB_PDF_TIMEOUT_S, -1);
        reader.argv = argv;
        sb_pdf_read(arena, &reader, data, len, &x);
    } else {
        sb_extract_pdf_in_process(arena, data, len, SB_EXTRACT_MAX_SECONDS * 1000, &x);
    }
    if (x.status != SB_EXTRACT_DONE) {
        fprintf(stderr, "extraction failed: %s\n", x.reason);
        return 1;
    }
    double t1 = now_s();
    struct sb_chunk *chunks;
    size_t n = sb_chunk_pages(arena, x.pages, x.npages, &chunks);
    double t2 = now_s();
    static float vector[SB_EMBED_DIMENSIONS];
    for (size_t i = 0; i < n; i++)
        sb_embed_lexical(chunks[i].content, chunks[i].len, vector);
    double t3 = now_s();
    printf("pages %d chunks %zu total_s %.4f extract_s %.4f chunk_s %.4f embed_s %.4f\n", x.document_pages, n, t3 - t0,
           t1 - t0, t2 - t1, t3 - t2);
    sb_arena_free(arena);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "gen") == 0)
        return generate(argv[2], atoi(argv[3]));
    if (argc >= 2 && strcmp(argv[1], "extract-pdf") == 0)
        return sb_pdf_child_main(argc - 1, argv + 1);
    if (argc == 4 && (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "run-child") == 0)) {
        through_child = strcmp(argv[1], "run-child") == 0;
        for (int i = 0; i < atoi(argv[3]); i++)
            if (run_once(argv[2]) != 0)
                return 1;
        return 0;
    }
    fprintf(stderr, "usage: extract_bench gen FILE PAGES | run FILE RUNS\n");
    return 2;
}
