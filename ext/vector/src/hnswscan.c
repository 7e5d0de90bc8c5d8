/*
 * hnswscan.c: ordered scans of an hnsw index (ORDER BY column <op> query), returning heap
 * TIDs nearest first.
 *
 * The first round descends greedily from the entry point, then searches layer 0 with
 * hnsw.ef_search candidates, exactly like the paper. When the executor wants more rows than
 * that (a WHERE clause or RLS filtered some out), the scan goes on (hnsw.iterative_scan): the
 * next round restarts the same search from the nearest candidates the previous rounds
 * discarded, with the visited set kept, so no row is returned twice. strict_order (the
 * default) skips a row found later that is nearer than one already returned, so the output is
 * always sorted; relaxed_order returns it anyway. The scan stops when the graph is exhausted,
 * after hnsw.max_scan_tuples visited nodes, or past work_mem x hnsw.scan_mem_multiplier.
 *
 * While a scan is open it holds the index's "scan" lock in share mode, so VACUUM can wait for
 * it before freeing nodes the scan might still reach. All memory is in the scan's context.
 */
#include "postgres.h"

#include "access/relscan.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

typedef struct HnswScanOpaqueData
{
	MemoryContext ctx;
	bool		started;
	bool		locked;			/* holds HNSW_SCAN_LOCK */
	HnswGraph	graph;
	HnswSearch	search;
	bool		searching;		/* search holds a layer-0 search to continue */
	HnswCandidate **batch;
	int			nbatch;
	int			pos;
	int			tidpos;
	bool		returned_any;
	float		last_dist;
} HnswScanOpaqueData;

typedef HnswScanOpaqueData *HnswScanOpaque;

IndexScanDesc
hnswbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	HnswScanOpaque so = palloc0(sizeof(HnswScanOpaqueData));

	so->ctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw scan", ALLOCSET_DEFAULT_SIZES);
	scan->opaque = so;
	return scan;
}

static void
release_scan_lock(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;

	if (so->locked)
	{
		UnlockPage(scan->indexRelation, HNSW_SCAN_LOCK, ShareLock);
		so->locked = false;
	}
}

void
hnswrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;

	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));
	release_scan_lock(scan);
	MemoryContextReset(so->ctx);
	so->started = false;
	so->searching = false;
	so->batch = NULL;
	so->nbatch = 0;
	so->pos = 0;
	so->tidpos = 0;
	so->returned_any = false;
}

/* The query in the index's terms: normalised for cosine; zeros for NULL or a zero vector. */
static void *
scan_query(IndexScanDesc scan, HnswIndexInfo *info)
{
	if (scan->numberOfOrderBys == 0 || (scan->orderByData[0].sk_flags & SK_ISNULL))
		return palloc0(HnswVectorSize(info, NULL));
	return HnswPrepareQuery(info, scan->orderByData[0].sk_argument);
}

static void
start_scan(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;
	Relation	index = scan->indexRelation;
	HnswIndexInfo *info = HnswGetIndexInfo(index);
	HnswMetaData meta;
	void	   *query;
	uint64		entry;

	so->started = true;
	LockPage(index, HNSW_SCAN_LOCK, ShareLock);
	so->locked = true;
	HnswReadMeta(index, &meta);
	if (!ItemPointerIsValid(&meta.entry))
		return;
	query = scan_query(scan, info);
	HnswInitDiskGraph(&so->graph, index, info);
	entry = HnswDescend(&so->graph, query, HnswTidToId(&meta.entry), meta.entry_level, 0);
	HnswSearchInit(&so->search, &so->graph, query, 0, hnsw_ef_search,
				   hnsw_iterative_scan != HNSW_ITERATIVE_OFF);
	HnswSearchSeed(&so->search, entry);
	HnswSearchRun(&so->search);
	so->batch = HnswSearchTakeResults(&so->search, &so->nbatch);
	so->searching = true;
}

/* The next round of an iterative scan; false when there is nothing more to find. */
static bool
next_round(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;
	Size		mem_limit = (Size) work_mem * 1024 * hnsw_scan_mem_multiplier;

	if (!so->searching || hnsw_iterative_scan == HNSW_ITERATIVE_OFF)
		return false;
	if (so->search.nvisited >= hnsw_max_scan_tuples ||
		MemoryContextMemAllocated(so->ctx, true) > mem_limit)
		return false;
	HnswSearchReseed(&so->search);
	HnswSearchRun(&so->search);
	so->batch = HnswSearchTakeResults(&so->search, &so->nbatch);
	so->pos = 0;
	so->tidpos = 0;
	return so->nbatch > 0;
}

bool
hnswgettuple(IndexScanDesc scan, ScanDirection dir)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;
	MemoryContext old = MemoryContextSwitchTo(so->ctx);

	if (!so->started)
		start_scan(scan);
	for (;;)
	{
		while (so->pos < so->nbatch)
		{
			HnswCandidate *c = so->batch[so->pos];

			if (so->tidpos == 0 && so->returned_any && c->dist < so->last_dist &&
				hnsw_iterative_scan == HNSW_ITERATIVE_STRICT)
				so->tidpos = c->nheaptids;	/* found too late to keep the order: skip */
			if (so->tidpos < c->nheaptids)
			{
				scan->xs_heaptid = c->heaptids[so->tidpos++];
				scan->xs_recheck = false;
				scan->xs_recheckorderby = false;
				if (!so->returned_any || c->dist > so->last_dist)
					so->last_dist = c->dist;
				so->returned_any = true;
				MemoryContextSwitchTo(old);
				return true;
			}
			so->pos++;
			so->tidpos = 0;
		}
		CHECK_FOR_INTERRUPTS();
		if (!next_round(scan))
			break;
	}
	MemoryContextSwitchTo(old);
	return false;
}

void
hnswendscan(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;

	release_scan_lock(scan);
	MemoryContextDelete(so->ctx);
	pfree(so);
	scan->opaque = NULL;
}
