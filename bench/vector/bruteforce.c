/*
 * bruteforce: exact top 10 by cosine distance for every query, by a plain C loop over all rows
 * computing what PostgreSQL's `<=>` computes per row (dot product and both squared norms in
 * one pass, then 1 - dot / sqrt(|a|^2 |b|^2) in double), with no SIMD intrinsics: what -O2
 * makes of it. Prints the time per
 * query and writes DIR/truth.i32 (Q x 10 ids, 1-based like the table's) and DIR/truth.tsv
 * (COPY text: query id, rank, row id).
 *   bruteforce DIR N Q D
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static float *read_floats(const char *dir, const char *name, size_t count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    float *v = malloc(sizeof(float) * count);
    FILE *f = fopen(path, "rb");
    if (!v || !f || fread(v, sizeof(float), count, f) != count) {
        perror(path);
        exit(1);
    }
    fclose(f);
    return v;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* keeps the 10 smallest cosine distances, nearest first */
static void top10(const float *base, size_t n, size_t d, const float *query, int *ids)
{
    float best[10];
    for (int k = 0; k < 10; k++) {
        best[k] = 1e30f;
        ids[k] = -1;
    }
    for (size_t i = 0; i < n; i++) {
        const float *row = base + i * d;
        float dot = 0, nr = 0, nq = 0;
        for (size_t j = 0; j < d; j++) {
            dot += row[j] * query[j];
            nr += row[j] * row[j];
            nq += query[j] * query[j];
        }
        float dist = (float) (1.0 - dot / sqrt((double) nr * (double) nq));
        if (dist >= best[9])
            continue;
        int k = 9;
        while (k > 0 && best[k - 1] > dist) {
            best[k] = best[k - 1];
            ids[k] = ids[k - 1];
            k--;
        }
        best[k] = dist;
        ids[k] = (int) i + 1;
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bruteforce DIR N Q D\n");
        return 2;
    }
    const char *dir = argv[1];
    size_t n = atol(argv[2]), q = atol(argv[3]), d = atol(argv[4]);
    float *base = read_floats(dir, "base.f32", n * d);
    float *queries = read_floats(dir, "queries.f32", q * d);
    int *truth = malloc(sizeof(int) * q * 10);
    double t0 = now();
    for (size_t i = 0; i < q; i++)
        top10(base, n, d, queries + i * d, truth + i * 10);
    printf("bruteforce ms_per_query %.3f\n", (now() - t0) * 1000 / q);

    char path[4096];
    snprintf(path, sizeof path, "%s/truth.i32", dir);
    FILE *f = fopen(path, "wb");
    fwrite(truth, sizeof(int), q * 10, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/truth.tsv", dir);
    f = fopen(path, "w");
    for (size_t i = 0; i < q; i++)
        for (int k = 0; k < 10; k++)
            fprintf(f, "%zu\t%d\t%d\n", i + 1, k + 1, truth[i * 10 + k]);
    fclose(f);
    return 0;
}
