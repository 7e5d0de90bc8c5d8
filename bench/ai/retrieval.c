/*
 * retrieval: how well the built-in lexical embedder (src/ai/embed_lexical.c) finds the passage
 * that answers a question, against plain BM25 over the same passages, in the same run.
 *
 *   retrieval passages.tsv queries.tsv
 *
 * passages.tsv: "id<TAB>text" lines; queries.tsv: "id[,id...]<TAB>question" lines (the
 * passages that answer it). For each ranker: recall@1 and recall@5 (the share of questions
 * with an answering passage among the first 1 / 5) and MRR (the mean of 1 / the rank of the
 * first answering passage), over all questions and over the "low overlap" ones, whose answer
 * shares at most one content word (3+ letters, not a stop word, unstemmed) with the question.
 * Then the embedder's speed on the passages. SHOW_MISSES=1 lists, on stderr, each question
 * whose answer a ranker did not put first.
 */
#include "ai/embed_lexical.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ITEMS 512
#define MAX_WORDS 256
#define WORD_LEN 32
#define K1 1.2
#define B 0.75

struct doc {
    char id[32];
    char text[2048];
    char words[MAX_WORDS][WORD_LEN];
    int nwords;
    float vec[SB_EMBED_DIMENSIONS];
};

struct query {
    char relevant[128];          /* comma-separated ids */
    char text[512];
    char words[MAX_WORDS][WORD_LEN];
    int nwords;
    float vec[SB_EMBED_DIMENSIONS];
    bool low_overlap;
};

static struct doc docs[MAX_ITEMS];
static struct query queries[MAX_ITEMS];
static int ndocs, nqueries;

static const char *const stop_words[] = { "the", "and", "for", "are", "was", "what", "when", "why", "how", "does",
                                          "did", "with", "from", "that", "this", "which", "its", "into", "one", "two",
                                          "out", "you", "can", "has", "have", "where", "who", "each", "more", "than",
                                          "their", "there", "over", "after", "all", "not", "but", NULL };

static bool is_stop_word(const char *w)
{
    for (int i = 0; stop_words[i]; i++)
        if (strcmp(stop_words[i], w) == 0)
            return true;
    return false;
}

/* Plain tokens: runs of letters and digits, lower-cased, no stemming. */
static int tokenize(const char *text, char words[][WORD_LEN])
{
    int n = 0;
    for (const char *p = text; *p && n < MAX_WORDS;) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        int len = 0;
        while (isalnum((unsigned char)*p)) {
            if (len < WORD_LEN - 1)
                words[n][len++] = (char)tolower((unsigned char)*p);
            p++;
        }
        if (len) {
            words[n][len] = '\0';
            n++;
        }
    }
    return n;
}

static bool split_line(char *line, char **first, char **second)
{
    line[strcspn(line, "\r\n")] = '\0';
    char *tab = strchr(line, '\t');
    if (!tab)
        return false;
    *tab = '\0';
    *first = line;
    *second = tab + 1;
    return true;
}

static int load(const char *path, bool are_queries)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        char *a, *b;
        if (!split_line(line, &a, &b) || (are_queries ? nqueries : ndocs) >= MAX_ITEMS)
            continue;
        if (are_queries) {
            struct query *q = &queries[nqueries++];
            snprintf(q->relevant, sizeof q->relevant, "%.127s", a);
            snprintf(q->text, sizeof q->text, "%.511s", b);
        } else {
            struct doc *d = &docs[ndocs++];
            snprintf(d->id, sizeof d->id, "%.31s", a);
            snprintf(d->text, sizeof d->text, "%.2047s", b);
        }
    }
    fclose(f);
    return 0;
}

static bool is_relevant(const struct query *q, const char *id)
{
    char copy[128];
    snprintf(copy, sizeof copy, "%s", q->relevant);
    for (char *save, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strcmp(t, id) == 0)
            return true;
    return false;
}

static bool contains_word(const char (*words)[WORD_LEN], int n, const char *w)
{
    for (int i = 0; i < n; i++)
        if (strcmp(words[i], w) == 0)
            return true;
    return false;
}

/* Content words the question shares with its best-sharing answer. */
static int shared_content_words(const struct query *q)
{
    int best = 0;
    for (int d = 0; d < ndocs; d++) {
        if (!is_relevant(q, docs[d].id))
            continue;
        int shared = 0;
        for (int i = 0; i < q->nwords; i++) {
            const char *w = q->words[i];
            if (strlen(w) >= 3 && !is_stop_word(w) && !contains_word(q->words, i, w) &&
                contains_word(docs[d].words, docs[d].nwords, w))
                shared++;
        }
        best = shared > best ? shared : best;
    }
    return best;
}

/* ---- rankers: each fills score[d] for query q ------------------------------------------------------ */

static void score_lexical(const struct query *q, double *score)
{
    for (int d = 0; d < ndocs; d++) {
        double dot = 0;
        for (int k = 0; k < SB_EMBED_DIMENSIONS; k++)
            dot += (double)q->vec[k] * docs[d].vec[k];
        score[d] = dot;
    }
}

static int term_count(const struct doc *d, const char *w)
{
    int c = 0;
    for (int i = 0; i < d->nwords; i++)
        c += strcmp(d->words[i], w) == 0;
    return c;
}

static void score_bm25(const struct query *q, double *score)
{
    double avg_len = 0;
    for (int d = 0; d < ndocs; d++)
        avg_len += docs[d].nwords;
    avg_len /= ndocs;
    for (int d = 0; d < ndocs; d++)
        score[d] = 0;
    for (int i = 0; i < q->nwords; i++) {
        const char *w = q->words[i];
        if (contains_word(q->words, i, w))
            continue;    /* each distinct query word once */
        int df = 0;
        for (int d = 0; d < ndocs; d++)
            df += term_count(&docs[d], w) > 0;
        double idf = log((ndocs - df + 0.5) / (df + 0.5) + 1);
        for (int d = 0; d < ndocs; d++) {
            int tf = term_count(&docs[d], w);
            if (tf)
                score[d] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * docs[d].nwords / avg_len));
        }
    }
}

/* The 1-based rank of the first relevant passage (ties broken against it: a passage scoring
 * the same as the answer counts as ahead of it). */
static int first_relevant_rank(const struct query *q, const double *score)
{
    int best = 0;
    for (int d = 0; d < ndocs; d++) {
        if (!is_relevant(q, docs[d].id))
            continue;
        int rank = 1;
        for (int e = 0; e < ndocs; e++)
            if (e != d && score[e] >= score[d])
                rank++;
        best = best == 0 || rank < best ? rank : best;
    }
    return best;
}

struct metrics {
    int n, at1, at5;
    double rr;
};

static void evaluate(const char *name, void (*scorer)(const struct query *, double *))
{
    struct metrics all = { 0 }, low = { 0 };
    double score[MAX_ITEMS];
    for (int i = 0; i < nqueries; i++) {
        scorer(&queries[i], score);
        int rank = first_relevant_rank(&queries[i], score);
        if (getenv("SHOW_MISSES") && rank != 1)
            fprintf(stderr, "%s: rank %d for \"%s\" (%s)\n", name, rank, queries[i].text, queries[i].relevant);
        struct metrics *sets[] = { &all, queries[i].low_overlap ? &low : NULL };
        for (int s = 0; s < 2; s++) {
            if (!sets[s])
                continue;
            sets[s]->n++;
            sets[s]->at1 += rank == 1;
            sets[s]->at5 += rank >= 1 && rank <= 5;
            sets[s]->rr += rank ? 1.0 / rank : 0;
        }
    }
    printf("| %-26s | %5.3f | %5.3f | %5.3f | %7.3f | %7.3f | %7.3f |\n", name, (double)all.at1 / all.n,
           (double)all.at5 / all.n, all.rr / all.n, low.n ? (double)low.at1 / low.n : 0,
           low.n ? (double)low.at5 / low.n : 0, low.n ? low.rr / low.n : 0);
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3 || load(argv[1], false) || load(argv[2], true) || !ndocs || !nqueries) {
        fprintf(stderr, "usage: retrieval passages.tsv queries.tsv\n");
        return 2;
    }
    for (int d = 0; d < ndocs; d++) {
        docs[d].nwords = tokenize(docs[d].text, docs[d].words);
        sb_embed_lexical(docs[d].text, strlen(docs[d].text), docs[d].vec);
    }
    int low = 0;
    for (int i = 0; i < nqueries; i++) {
        queries[i].nwords = tokenize(queries[i].text, queries[i].words);
        sb_embed_lexical(queries[i].text, strlen(queries[i].text), queries[i].vec);
        queries[i].low_overlap = shared_content_words(&queries[i]) <= 1;
        low += queries[i].low_overlap;
    }
    printf("%d passages, %d questions (%d low overlap: at most one content word shared with the answer)\n\n", ndocs,
           nqueries, low);
    printf("| %-26s | R@1   | R@5   | MRR   | low R@1 | low R@5 | low MRR |\n", "ranker");
    printf("|----------------------------|-------|-------|-------|---------|---------|---------|\n");
    evaluate("lexical embedder (cosine)", score_lexical);
    evaluate("BM25 (k1 1.2, b 0.75)", score_bm25);

    int rounds = 200;
    float v[SB_EMBED_DIMENSIONS];
    size_t bytes = 0;
    double start = seconds_now();
    for (int r = 0; r < rounds; r++)
        for (int d = 0; d < ndocs; d++) {
            sb_embed_lexical(docs[d].text, strlen(docs[d].text), v);
            bytes += strlen(docs[d].text);
        }
    double took = seconds_now() - start;
    printf("\nlexical embedder speed: %.0f passages/s, %.1f MB/s of text (one thread)\n", rounds * ndocs / took,
           bytes / took / 1e6);
    return 0;
}
