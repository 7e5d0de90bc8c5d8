/*
 * ivfscan.c: ordered scans of an ivfflat index (ORDER BY column <op> query), returning heap
 * TIDs nearest first.
 *
 * A scan first measures the query's distance to every list's centre and orders the lists by
 * it. It then reads the ivfflat.probes nearest lists whole, computing each entry's distance on
 * the page, and returns their rows nearest first (a binary heap over the batch: O(n) to build,
 * O(log n) per row returned, so a LIMIT 10 does not pay for sorting every entry; equal
 * distances come back in list order). Pages are pinned through the recent-buffer hints
 * (recent_buffers.c: no buffer-mapping lookup when the hint is right) and read in ascending
 * addresses, the next one prefetched: a scan is bound by memory, not arithmetic.
 *
 * With ivfflat.iterative_scan = relaxed_order, once a batch is used up (a WHERE clause or RLS
 * filtered rows out) the scan reads the next ivfflat.probes lists, and so on until
 * ivfflat.max_probes lists in all (never fewer than probes). Each batch is in order, but a
 * later batch may hold rows nearer than some already returned: "relaxed". Off: one batch.
 *
 * No scan-wide lock: pages are never freed, VACUUM deletes entries under a cleanup lock, and
 * a page is read under a share lock. All memory is in the scan's context.
 */
#include "postgres.h"

#include <math.h>

#include "access/relscan.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ivfflat.h"
#include "recent_buffers.h"

/* Which shared buffer held each block of the last ivfflat index this backend scanned. */
static RecentBuffers scan_buffers;

/* One entry met: its distance, its place in the lists read (page, line pointer), its row. */
typedef struct IvfHit
{
	float		dist;
	uint32		seq;
	ItemPointerData tid;
} IvfHit;

typedef struct IvfScanOpaqueData
{
	MemoryContext ctx;
	bool		started;
	IvfIndexInfo *info;
	char	   *query;			/* stored as the index stores values */
	IvfListDistance *lists;		/* nearest centre first */
	int			nlists;
	int			next_list;		/* the next list to read */
	int			probes;			/* lists per batch */
	int			max_probes;		/* lists in all */
	IvfHit	   *hits;			/* a min-heap of the current batch */
	int			nhits;
	int			capacity;
	uint32		pages_read;		/* in this scan: ranks entries of equal distance */
} IvfScanOpaqueData;

typedef IvfScanOpaqueData *IvfScanOpaque;

IndexScanDesc
ivfflatbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	IvfScanOpaque so = palloc0(sizeof(IvfScanOpaqueData));

	so->ctx = AllocSetContextCreate(CurrentMemoryContext, "ivfflat scan", ALLOCSET_DEFAULT_SIZES);
	scan->opaque = so;
	return scan;
}

void
ivfflatrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys)
{
	IvfScanOpaque so = (IvfScanOpaque) scan->opaque;

	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));
	MemoryContextReset(so->ctx);
	so->started = false;
	so->lists = NULL;
	so->hits = NULL;
	so->nhits = 0;
	so->capacity = 0;
	so->pages_read = 0;
}

/* The hit heap ------------------------------------------------------------------------------- */

/* a before b: smaller distance (NaN last), then read first */
static inline bool
hit_before(const IvfHit *a, const IvfHit *b)
{
	if (a->dist != b->dist)
	{
		if (isnan(a->dist) || isnan(b->dist))
			return !isnan(a->dist) && isnan(b->dist);
		return a->dist < b->dist;
	}
	return a->seq < b->seq;
}

static void
sift_down(IvfHit *h, int n, int i)
{
	for (;;)
	{
		int			least = i;
		int			left = 2 * i + 1;
		IvfHit		tmp;

		if (left < n && hit_before(&h[left], &h[least]))
			least = left;
		if (left + 1 < n && hit_before(&h[left + 1], &h[least]))
			least = left + 1;
		if (least == i)
			return;
		tmp = h[i];
		h[i] = h[least];
		h[least] = tmp;
		i = least;
	}
}

static void
heapify(IvfHit *h, int n)
{
	for (int i = n / 2 - 1; i >= 0; i--)
		sift_down(h, n, i);
}

static IvfHit
pop_nearest(IvfScanOpaque so)
{
	IvfHit		top = so->hits[0];

	so->hits[0] = so->hits[--so->nhits];
	sift_down(so->hits, so->nhits, 0);
	return top;
}

static void
add_hit(IvfScanOpaque so, float dist, ItemPointer tid, uint32 seq)
{
	if (so->nhits == so->capacity)
	{
		so->capacity = Max(1024, so->capacity * 2);
		so->hits = so->hits == NULL
			? MemoryContextAllocHuge(so->ctx, sizeof(IvfHit) * so->capacity)
			: repalloc_huge(so->hits, sizeof(IvfHit) * so->capacity);
	}
	so->hits[so->nhits].dist = dist;
	so->hits[so->nhits].seq = seq;
	so->hits[so->nhits].tid = *tid;
	so->nhits++;
}

/* Reading lists ------------------------------------------------------------------------------- */

/*
 * Starts loading the page that last held block blkno into the CPU cache, from the recent-buffer
 * hint: an address only, nothing read here is trusted (the page is pinned, locked and read
 * later as usual; a stale hint costs a useless prefetch).
 */
static void
prefetch_block(Relation index, BlockNumber blkno)
{
	Buffer		hint;
	char	   *page;

	if (blkno == InvalidBlockNumber)
		return;
	hint = RecentBuffersHint(&scan_buffers, index, blkno);
	if (hint == InvalidBuffer)
		return;
	page = (char *) BufferGetPage(hint);
	for (int line = 0; line < BLCKSZ / 64; line++)
		__builtin_prefetch(page + 64 * line);
}

/*
 * Every entry of the list whose pages start at blkno, with its distance to the query. Entries
 * are read from the last line pointer to the first: a page fills from its end downwards, so
 * this reads its memory in ascending addresses, which the CPU's prefetcher follows; the next
 * page of the chain is prefetched meanwhile. An entry's rank among equal distances is still
 * its place in the list (page, then line pointer).
 */
static void
read_list(IndexScanDesc scan, BlockNumber blkno)
{
	IvfScanOpaque so = (IvfScanOpaque) scan->opaque;
	Relation	index = scan->indexRelation;

	while (blkno != InvalidBlockNumber)
	{
		Buffer		buf = RecentBuffersPin(&scan_buffers, index, blkno, NULL);
		Page		page;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		blkno = IvfPageGetOpaque(page)->next;
		prefetch_block(index, blkno);
		for (OffsetNumber off = PageGetMaxOffsetNumber(page); off >= FirstOffsetNumber; off--)
		{
			IvfEntry	entry = (IvfEntry) PageGetItem(page, PageGetItemId(page, off));

			add_hit(so, IvfDistance(so->info, so->query, entry->vec), &entry->heaptid,
					so->pages_read * MaxOffsetNumber + off);
		}
		so->pages_read++;
		UnlockReleaseBuffer(buf);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Reads the next batch of lists; false when no list is left to read. */
static bool
read_next_batch(IndexScanDesc scan)
{
	IvfScanOpaque so = (IvfScanOpaque) scan->opaque;
	int			end = Min(so->next_list + so->probes, so->max_probes);

	if (so->next_list >= end)
		return false;
	so->nhits = 0;
	for (; so->next_list < end; so->next_list++)
		read_list(scan, so->lists[so->next_list].head);
	heapify(so->hits, so->nhits);
	return true;
}

/*
 * The query in the index's terms: normalised for cosine; zeros for NULL or a zero vector. A
 * query of another size is the distance functions' error ("different vector dimensions 3
 * and 2", "different bit lengths ...").
 */
static char *
scan_query(IndexScanDesc scan, IvfIndexInfo *info)
{
	char	   *query = palloc0(info->item_size);
	Datum		value;
	int			dims;

	if (scan->numberOfOrderBys == 0 || (scan->orderByData[0].sk_flags & SK_ISNULL))
		return query;
	value = scan->orderByData[0].sk_argument;
	info->type->elements(value, &dims);
	if (dims != info->dims)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different %s %d and %d", info->type->dims_mismatch, info->dims, dims)));
	if (!IvfPrepareValue(info, value, query))
		memset(query, 0, info->item_size);
	return query;
}

static int
compare_lists(const void *a, const void *b)
{
	const IvfListDistance *la = a;
	const IvfListDistance *lb = b;

	if (isnan(la->dist) != isnan(lb->dist))
		return isnan(la->dist) ? 1 : -1;
	if (la->dist != lb->dist && !isnan(la->dist))
		return la->dist < lb->dist ? -1 : 1;
	return la->list - lb->list;
}

static void
start_scan(IndexScanDesc scan)
{
	IvfScanOpaque so = (IvfScanOpaque) scan->opaque;
	IvfMetaData meta;

	so->started = true;
	so->info = IvfGetIndexInfo(scan->indexRelation);
	IvfReadMeta(scan->indexRelation, &meta);
	so->query = scan_query(scan, so->info);
	so->nlists = meta.lists;
	so->lists = palloc(sizeof(IvfListDistance) * meta.lists);
	IvfListDistances(scan->indexRelation, so->info, &meta, so->query, so->lists);
	qsort(so->lists, so->nlists, sizeof(IvfListDistance), compare_lists);
	so->next_list = 0;
	so->probes = Min(ivfflat_probes, so->nlists);
	so->max_probes = so->probes;
	if (ivfflat_iterative_scan != IVF_ITERATIVE_OFF)
		so->max_probes = Min(Max(ivfflat_max_probes, so->probes), so->nlists);
}

bool
ivfflatgettuple(IndexScanDesc scan, ScanDirection dir)
{
	IvfScanOpaque so = (IvfScanOpaque) scan->opaque;
	MemoryContext old = MemoryContextSwitchTo(so->ctx);
	bool		found = false;

	if (!so->started)
		start_scan(scan);
	while (so->nhits == 0 && read_next_batch(scan))
		;
	if (so->nhits > 0)
	{
		IvfHit		hit = pop_nearest(so);

		scan->xs_heaptid = hit.tid;
		scan->xs_recheck = false;
		scan->xs_recheckorderby = false;
		found = true;
	}
	MemoryContextSwitchTo(old);
	return found;
}

void
ivfflatendscan(IndexScanDesc scan)
{
	IvfScanOpaque so = (IvfScanOpaque) scan->opaque;

	MemoryContextDelete(so->ctx);
	pfree(so);
	scan->opaque = NULL;
}
