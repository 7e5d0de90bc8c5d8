/*
 * gen: writes the benchmark's data set: N clustered unit vectors and Q queries of D
 * dimensions from a fixed seed (C cluster centres with elements uniform in [-0.5, 0.5); each
 * point its centre plus uniform noise of the same size, normalised), as raw float32 files for
 * the C programs and as COPY text ("id<TAB>[x,y,...]") for PostgreSQL; optionally F more
 * points from the same clusters ("fresh", for inserting rows the table does not hold yet),
 * drawn after the others so the base and query sets do not depend on F.
 *   gen N Q D C OUTDIR [F]
 * Writes OUTDIR/{base,queries,fresh}.f32 and OUTDIR/{base,queries,fresh}.tsv.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* splitmix64, uniform in [0, 1) */
static double uniform(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double) (z >> 11) / 9007199254740992.0;
}

static void point(const float *centre, int d, float *out)
{
    double norm = 0;
    for (int j = 0; j < d; j++) {
        out[j] = (float) (centre[j] + uniform() - 0.5);
        norm += (double) out[j] * out[j];
    }
    norm = sqrt(norm);
    for (int j = 0; j < d; j++)
        out[j] = (float) (out[j] / norm);
}

static int write_set(const char *dir, const char *name, const float *centres, int n, int d, int c,
                     int stride)
{
    char path[4096];
    float *v = malloc(sizeof(float) * d);
    snprintf(path, sizeof path, "%s/%s.f32", dir, name);
    FILE *raw = fopen(path, "wb");
    snprintf(path, sizeof path, "%s/%s.tsv", dir, name);
    FILE *tsv = fopen(path, "w");
    if (!raw || !tsv || !v)
        return -1;
    for (int i = 0; i < n; i++) {
        point(centres + (size_t) ((i * stride) % c) * d, d, v);
        fwrite(v, sizeof(float), d, raw);
        fprintf(tsv, "%d\t[", i + 1);
        for (int j = 0; j < d; j++)
            fprintf(tsv, j ? ",%.9g" : "%.9g", v[j]);
        fputs("]\n", tsv);
    }
    free(v);
    return (fclose(raw) | fclose(tsv)) ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: gen N Q D C OUTDIR [F]\n");
        return 2;
    }
    int n = atoi(argv[1]), q = atoi(argv[2]), d = atoi(argv[3]), c = atoi(argv[4]);
    float *centres = malloc(sizeof(float) * (size_t) c * d);
    for (size_t i = 0; i < (size_t) c * d; i++)
        centres[i] = (float) (uniform() - 0.5);
    int f = argc == 7 ? atoi(argv[6]) : 0;
    if (write_set(argv[5], "base", centres, n, d, c, 1) || write_set(argv[5], "queries", centres, q, d, c, 7) ||
        (f > 0 && write_set(argv[5], "fresh", centres, f, d, c, 3))) {
        perror("gen");
        return 1;
    }
    return 0;
}
