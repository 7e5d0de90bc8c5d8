/*
 * hnswbuildparallel.c: a parallel hnsw build, as PostgreSQL's parallel btree build runs one:
 * the leader enters parallel mode, creates a ParallelContext whose dynamic shared memory holds
 * the shared state (relations, a parallel heap scan, counters) and the graph's arena
 * (hnswbuild.h), and launches workers that run HnswParallelBuildMain. Every participant (the
 * workers, and the leader unless parallel_leader_participation is off) takes blocks from the
 * one parallel scan and adds their rows to the one graph (hnswbuildgraph.c); when all are
 * done the leader writes the pages from the shared graph (hnswbuild.c).
 *
 * How many workers: plan_create_index_workers, as for btree: max_parallel_maintenance_workers
 * caps it, a table smaller than min_parallel_table_scan_size gets none, the table's
 * parallel_workers storage parameter overrides the planner's figure. The graph's segment is
 * sized for the rows the table is estimated to hold, capped by maintenance_work_mem; a graph
 * that fills it takes no more nodes (hnswbuild.c then inserts the rest through pages).
 *
 * hnsw_last_build_workers() tells how many workers this backend's last hnsw build launched.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "executor/instrument.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "optimizer/plancat.h"
#include "optimizer/planner.h"
#include "pgstat.h"
#include "storage/shm_toc.h"
#include "tcop/tcopprot.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "hnswbuild.h"

/* shm_toc keys */
#define HNSW_KEY_SHARED			UINT64CONST(0xA000000000000001)
#define HNSW_KEY_GRAPH			UINT64CONST(0xA000000000000002)
#define HNSW_KEY_QUERY_TEXT		UINT64CONST(0xA000000000000003)
#define HNSW_KEY_WAL_USAGE		UINT64CONST(0xA000000000000004)
#define HNSW_KEY_BUFFER_USAGE	UINT64CONST(0xA000000000000005)

/* What the participants share besides the graph; the parallel scan's state follows it. */
typedef struct HnswShared
{
	Oid			heaprelid;
	Oid			indexrelid;
	bool		isconcurrent;
	slock_t		mutex;			/* guards the counters */
	double		reltuples;		/* rows read, summed over the participants */
	double		indtuples;		/* rows added to the graph */
} HnswShared;

#define ParallelScanOf(shared) \
	((ParallelTableScanDesc) ((char *) (shared) + BUFFERALIGN(sizeof(HnswShared))))

struct HnswParallelBuild
{
	ParallelContext *pcxt;
	Snapshot	snapshot;
	HnswShared *shared;
	HnswBuildArena *arena;
	Relation	heap;
	Relation	index;
	WalUsage   *walusage;
	BufferUsage *bufferusage;
};

static int	last_build_workers = -1;

PGDLLEXPORT void HnswParallelBuildMain(dsm_segment *seg, shm_toc *toc);

void
HnswSetLastBuildWorkers(int n)
{
	last_build_workers = n;
}

PG_FUNCTION_INFO_V1(hnsw_last_build_workers);
Datum
hnsw_last_build_workers(PG_FUNCTION_ARGS)
{
	if (last_build_workers < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(last_build_workers);
}

/* How many workers to ask for (0: build serially). */
int
HnswParallelWorkersFor(Relation heap, Relation index)
{
	if (!IsNormalProcessingMode() || IsInParallelMode())
		return 0;
	return plan_create_index_workers(RelationGetRelid(heap), RelationGetRelid(index));
}

/*
 * The graph's segment: room for the rows the planner estimates the table holds (with a
 * margin: the estimate can be off, and identical vectors share nodes), at most
 * maintenance_work_mem.
 */
static Size
shared_graph_size(Relation heap, HnswIndexInfo *info)
{
	BlockNumber pages;
	double		tuples;
	double		allvisfrac;
	double		need;
	Size		limit = (Size) maintenance_work_mem * 1024;

	estimate_rel_size(heap, NULL, &pages, &tuples, &allvisfrac);
	need = (tuples * 1.2 + 1000) * HnswBuildExpectedNodeSize(info) + MAXALIGN(sizeof(HnswBuildArena));
	return need < (double) limit ? (Size) need : limit;
}

/* Reads this participant's share of the table into the graph, and adds to the counters. */
static void
participate(HnswShared *shared, HnswBuildArena *arena, Relation heap, Relation index, bool progress)
{
	IndexInfo  *indexInfo = BuildIndexInfo(index);
	TableScanDesc scan;
	double		reltuples;
	double		indtuples;

	indexInfo->ii_Concurrent = shared->isconcurrent;
	scan = table_beginscan_parallel(heap, ParallelScanOf(shared));
	reltuples = HnswBuildScanInto(heap, index, indexInfo, arena, scan, progress, &indtuples);
	SpinLockAcquire(&shared->mutex);
	shared->reltuples += reltuples;
	shared->indtuples += indtuples;
	SpinLockRelease(&shared->mutex);
}

/* A worker's entry point (by name, from CreateParallelContext). */
void
HnswParallelBuildMain(dsm_segment *seg, shm_toc *toc)
{
	HnswShared *shared = shm_toc_lookup(toc, HNSW_KEY_SHARED, false);
	HnswBuildArena *arena = shm_toc_lookup(toc, HNSW_KEY_GRAPH, false);
	LOCKMODE	heap_lockmode = shared->isconcurrent ? ShareUpdateExclusiveLock : ShareLock;
	LOCKMODE	index_lockmode = shared->isconcurrent ? RowExclusiveLock : AccessExclusiveLock;
	WalUsage   *walusage;
	BufferUsage *bufferusage;
	Relation	heap;
	Relation	index;

	debug_query_string = shm_toc_lookup(toc, HNSW_KEY_QUERY_TEXT, true);
	pgstat_report_activity(STATE_RUNNING, debug_query_string);
	/* the same locks as the leader's (index.c took them) */
	heap = table_open(shared->heaprelid, heap_lockmode);
	index = index_open(shared->indexrelid, index_lockmode);

	InstrStartParallelQuery();
	participate(shared, arena, heap, index, false);
	walusage = shm_toc_lookup(toc, HNSW_KEY_WAL_USAGE, false);
	bufferusage = shm_toc_lookup(toc, HNSW_KEY_BUFFER_USAGE, false);
	InstrEndParallelQuery(&bufferusage[ParallelWorkerNumber], &walusage[ParallelWorkerNumber]);

	index_close(index, index_lockmode);
	table_close(heap, heap_lockmode);
}

static void
estimate_segment(ParallelContext *pcxt, Size shared_size, Size graph_size)
{
	shm_toc_estimate_chunk(&pcxt->estimator, shared_size);
	shm_toc_estimate_chunk(&pcxt->estimator, graph_size);
	shm_toc_estimate_chunk(&pcxt->estimator, mul_size(sizeof(WalUsage), pcxt->nworkers));
	shm_toc_estimate_chunk(&pcxt->estimator, mul_size(sizeof(BufferUsage), pcxt->nworkers));
	shm_toc_estimate_keys(&pcxt->estimator, 4);
	if (debug_query_string != NULL)
	{
		shm_toc_estimate_chunk(&pcxt->estimator, strlen(debug_query_string) + 1);
		shm_toc_estimate_keys(&pcxt->estimator, 1);
	}
}

/* Fills the segment: shared state, parallel scan, graph arena, query text, usage slots. */
static void
fill_segment(HnswParallelBuild *pb, Size shared_size, Size graph_size, bool isconcurrent)
{
	ParallelContext *pcxt = pb->pcxt;
	HnswShared *shared = shm_toc_allocate(pcxt->toc, shared_size);

	shared->heaprelid = RelationGetRelid(pb->heap);
	shared->indexrelid = RelationGetRelid(pb->index);
	shared->isconcurrent = isconcurrent;
	SpinLockInit(&shared->mutex);
	shared->reltuples = 0;
	shared->indtuples = 0;
	table_parallelscan_initialize(pb->heap, ParallelScanOf(shared), pb->snapshot);
	shm_toc_insert(pcxt->toc, HNSW_KEY_SHARED, shared);
	pb->shared = shared;

	pb->arena = shm_toc_allocate(pcxt->toc, graph_size);
	HnswBuildArenaInit(pb->arena, graph_size, true, LWLockNewTrancheId(), HnswBuildHeaderSize(HnswGetIndexInfo(pb->index)));
	shm_toc_insert(pcxt->toc, HNSW_KEY_GRAPH, pb->arena);

	if (debug_query_string != NULL)
	{
		char	   *text = shm_toc_allocate(pcxt->toc, strlen(debug_query_string) + 1);

		strcpy(text, debug_query_string);
		shm_toc_insert(pcxt->toc, HNSW_KEY_QUERY_TEXT, text);
	}
	pb->walusage = shm_toc_allocate(pcxt->toc, mul_size(sizeof(WalUsage), pcxt->nworkers));
	shm_toc_insert(pcxt->toc, HNSW_KEY_WAL_USAGE, pb->walusage);
	pb->bufferusage = shm_toc_allocate(pcxt->toc, mul_size(sizeof(BufferUsage), pcxt->nworkers));
	shm_toc_insert(pcxt->toc, HNSW_KEY_BUFFER_USAGE, pb->bufferusage);
}

static void
leave_parallel_mode(HnswParallelBuild *pb)
{
	if (IsMVCCSnapshot(pb->snapshot))
		UnregisterSnapshot(pb->snapshot);
	DestroyParallelContext(pb->pcxt);
	ExitParallelMode();
}

/*
 * Starts a parallel build with up to nworkers workers; they start reading the table at once.
 * NULL (and no parallel mode left behind) when no segment or no worker could be had: then
 * build serially.
 */
HnswParallelBuild *
HnswParallelBegin(Relation heap, Relation index, IndexInfo *indexInfo, HnswIndexInfo *info, int nworkers)
{
	HnswParallelBuild *pb = palloc0(sizeof(HnswParallelBuild));
	Size		shared_size;
	Size		graph_size = shared_graph_size(heap, info);

	pb->heap = heap;
	pb->index = index;
	EnterParallelMode();
	pb->pcxt = CreateParallelContext("vector", "HnswParallelBuildMain", nworkers);
	pb->snapshot = indexInfo->ii_Concurrent ? RegisterSnapshot(GetTransactionSnapshot()) : SnapshotAny;
	shared_size = add_size(BUFFERALIGN(sizeof(HnswShared)), table_parallelscan_estimate(heap, pb->snapshot));
	estimate_segment(pb->pcxt, shared_size, graph_size);
	InitializeParallelDSM(pb->pcxt);
	if (pb->pcxt->seg == NULL)
	{
		leave_parallel_mode(pb);
		return NULL;
	}
	fill_segment(pb, shared_size, graph_size, indexInfo->ii_Concurrent);
	LaunchParallelWorkers(pb->pcxt);
	ereport(DEBUG1,
			(errmsg("hnsw build of \"%s\": %d parallel workers launched (planned: %d), graph segment %zu kB",
					RelationGetRelationName(index), pb->pcxt->nworkers_launched, nworkers, graph_size / 1024)));
	if (pb->pcxt->nworkers_launched == 0)
	{
		WaitForParallelWorkersToFinish(pb->pcxt);
		leave_parallel_mode(pb);
		return NULL;
	}
	HnswSetLastBuildWorkers(pb->pcxt->nworkers_launched);
	return pb;
}

HnswBuildArena *
HnswParallelArena(HnswParallelBuild *pb)
{
	return pb->arena;
}

/*
 * The leader's part: reads its share of the table too (unless parallel_leader_participation
 * is off), waits for the workers, and returns the rows read; *indtuples: the rows added.
 */
double
HnswParallelScan(HnswParallelBuild *pb, double *indtuples)
{
	if (parallel_leader_participation)
		participate(pb->shared, pb->arena, pb->heap, pb->index, true);
	WaitForParallelWorkersToFinish(pb->pcxt);
	for (int i = 0; i < pb->pcxt->nworkers_launched; i++)
		InstrAccumParallelQuery(&pb->bufferusage[i], &pb->walusage[i]);
	*indtuples = pb->shared->indtuples;
	return pb->shared->reltuples;
}

/* Ends parallel mode; the shared graph is gone after this. */
void
HnswParallelEnd(HnswParallelBuild *pb)
{
	leave_parallel_mode(pb);
	pfree(pb);
}
