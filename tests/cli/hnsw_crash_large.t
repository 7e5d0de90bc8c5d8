# hnsw_crash.t with 2,000-dimensional vectors: every node keeps its slots in a neighbour tuple
# apart from its element tuple, so WAL replay must restore both. Speaks TAP.
HNSW_CRASH_DIMS=2000 HNSW_CRASH_ROWS=300 exec bash "$(dirname "$0")/hnsw_crash.t"
