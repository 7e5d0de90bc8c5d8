/*
 * faiss_hnsw: the baseline: FAISS's in-memory HNSW (IndexHNSWFlat, inner product on the unit
 * vectors, same m and ef_construction as the hnsw index) on the benchmark's data, one thread.
 * Prints the build time, then for each ef_search the recall@10 against the exact answers and
 * the single-query latency (p50, p99) and throughput.
 *   faiss_hnsw DIR N Q D M EF_CONSTRUCTION EF_SEARCH...
 * Reads DIR/base.f32, DIR/queries.f32 and DIR/truth.i32 (from bruteforce).
 */
#include <faiss/IndexHNSW.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static std::vector<float> read_floats(const std::string &path, size_t count)
{
    std::vector<float> v(count);
    FILE *f = fopen(path.c_str(), "rb");
    if (!f || fread(v.data(), sizeof(float), count, f) != count) {
        perror(path.c_str());
        exit(1);
    }
    fclose(f);
    return v;
}

static double seconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: faiss_hnsw DIR N Q D M EF_CONSTRUCTION EF_SEARCH...\n");
        return 2;
    }
    std::string dir = argv[1];
    size_t n = atol(argv[2]), q = atol(argv[3]), d = atol(argv[4]);
    int m = atoi(argv[5]), efc = atoi(argv[6]);
    omp_set_num_threads(1);
    std::vector<float> base = read_floats(dir + "/base.f32", n * d);
    std::vector<float> queries = read_floats(dir + "/queries.f32", q * d);
    std::vector<int> truth(q * 10);
    FILE *tf = fopen((dir + "/truth.i32").c_str(), "rb");
    if (!tf || fread(truth.data(), sizeof(int), q * 10, tf) != q * 10) {
        perror("truth.i32");
        return 1;
    }
    fclose(tf);

    faiss::IndexHNSWFlat index(d, m, faiss::METRIC_INNER_PRODUCT);
    index.hnsw.efConstruction = efc;
    auto t0 = std::chrono::steady_clock::now();
    index.add(n, base.data());
    printf("faiss build_s %.2f\n", seconds_since(t0));

    for (int a = 7; a < argc; a++) {
        int ef = atoi(argv[a]);
        index.hnsw.efSearch = ef;
        std::vector<double> lat(q);
        std::vector<faiss::Index::idx_t> found_ids(10);
        std::vector<float> dists(10);
        size_t hits = 0;
        auto all = std::chrono::steady_clock::now();
        for (size_t i = 0; i < q; i++) {
            auto t = std::chrono::steady_clock::now();
            index.search(1, queries.data() + i * d, 10, dists.data(), found_ids.data());
            lat[i] = seconds_since(t) * 1000;
            for (int j = 0; j < 10; j++)
                for (int k = 0; k < 10; k++)
                    hits += found_ids[j] + 1 == truth[i * 10 + k];
        }
        double total = seconds_since(all);
        std::sort(lat.begin(), lat.end());
        printf("faiss ef_search %d recall %.4f qps %.0f p50_ms %.3f p99_ms %.3f\n", ef,
               (double) hits / (q * 10), q / total, lat[q / 2], lat[q * 99 / 100]);
    }
    return 0;
}
