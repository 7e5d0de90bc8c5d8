/*
 * bcrypt_rate: the baseline for sign-in throughput. N threads verify a password against a
 * $2b$ cost-10 hash with libxcrypt (what a sign-in does once) for S seconds; prints the
 * verifications per second of all threads together.
 *   cc -O2 -o bcrypt_rate bcrypt_rate.c -lcrypt -pthread && ./bcrypt_rate THREADS SECONDS
 */
#include <crypt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char hash[CRYPT_OUTPUT_SIZE];
static atomic_long done;
static double stop_at;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *work(void *arg)
{
    struct crypt_data *data = calloc(1, sizeof *data);
    while (now() < stop_at) {
        crypt_rn("bench password", hash, data, (int)sizeof *data);
        if (strcmp(data->output, hash) != 0)
            abort();
        atomic_fetch_add(&done, 1);
    }
    free(data);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    double seconds = argc > 2 ? atof(argv[2]) : 5;
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data data = { 0 };
    crypt_gensalt_rn("$2b$", 10, NULL, 0, setting, sizeof setting);
    strcpy(hash, crypt_rn("bench password", setting, &data, sizeof data));
    double start = now();
    stop_at = start + seconds;
    pthread_t t[64];
    for (int i = 0; i < threads && i < 64; i++)
        pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < threads && i < 64; i++)
        pthread_join(t[i], NULL);
    printf("%.1f\n", (double)atomic_load(&done) / (now() - start));
    return 0;
}
