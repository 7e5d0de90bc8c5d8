/*
 * hnswinsert.c: inserting one row into a built hnsw index, safely alongside other inserts,
 * scans and VACUUM.
 *
 * Locking: every insert holds the index's "update" lock (a heavyweight lock on a pseudo page)
 * in share mode, or exclusive when its node becomes the new entry point; VACUUM takes it
 * exclusive while it relinks the graph. Pages change only under a short exclusive buffer lock
 * and never while another buffer is locked, so inserts cannot deadlock each other. A
 * neighbour's list is read, recomputed unlocked, then written only if it has not changed in
 * between (else recomputed). Every change is one generic WAL record.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "miscadmin.h"
#include "storage/freespace.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

static HnswNodeTuple
form_node(HnswIndexInfo *info, int level, const float *vec, ItemPointer heaptid, Size *size)
{
	HnswNodeTuple tup;
	ItemPointerData *links;

	*size = HnswNodeSize(info->dims, level, info->m);
	tup = palloc0(*size);
	tup->level = level;
	tup->nheaptids = 1;
	tup->dim = info->dims;
	tup->heaptids[0] = *heaptid;
	memcpy(tup->vec, vec, sizeof(float) * info->dims);
	links = HnswNodeLinks(tup);
	for (int i = 0; i < HnswLinkCount(info->m, level); i++)
		ItemPointerSetInvalid(&links[i]);
	return tup;
}

/* Adds tup to a page that has room, via generic WAL; returns its id, or false if no room. */
static bool
add_to_page(Relation index, Buffer buf, HnswNodeTuple tup, Size size, bool new_page, uint64 *id)
{
	GenericXLogState *state;
	Page		page = BufferGetPage(buf);
	OffsetNumber off;

	if (!new_page && (PageIsNew(page) || HnswPageGetOpaque(page)->flags != HNSW_PAGE_NODES ||
					  PageGetFreeSpace(page) < size))
		return false;
	state = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(state, buf, new_page ? GENERIC_XLOG_FULL_IMAGE : 0);
	if (new_page)
		HnswInitPage(page, HNSW_PAGE_NODES);
	off = PageAddItem(page, (Item) tup, size, InvalidOffsetNumber, false, false);
	if (off == InvalidOffsetNumber)
	{
		GenericXLogAbort(state);
		return false;
	}
	GenericXLogFinish(state);
	*id = ((uint64) BufferGetBlockNumber(buf) << 16) | off;
	return true;
}

/* Writes a node where there is room: a page the free space map knows, the last page, or a new one. */
static uint64
place_node(Relation index, HnswNodeTuple tup, Size size)
{
	Size		need = size + sizeof(ItemIdData);
	BlockNumber blkno = GetPageWithFreeSpace(index, need);
	BlockNumber nblocks;
	Buffer		buf;
	uint64		id;

	if (blkno == InvalidBlockNumber && (nblocks = RelationGetNumberOfBlocks(index)) > 1)
		blkno = nblocks - 1;
	while (blkno != InvalidBlockNumber)
	{
		Size		free_space;

		buf = ReadBuffer(index, blkno);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		if (add_to_page(index, buf, tup, size, false, &id))
		{
			UnlockReleaseBuffer(buf);
			return id;
		}
		free_space = PageIsNew(BufferGetPage(buf)) ? 0 : PageGetFreeSpace(BufferGetPage(buf));
		UnlockReleaseBuffer(buf);
		blkno = RecordAndGetPageWithFreeSpace(index, blkno, free_space, need);
	}
	LockRelationForExtension(index, ExclusiveLock);
	buf = ReadBuffer(index, P_NEW);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	UnlockRelationForExtension(index, ExclusiveLock);
	if (!add_to_page(index, buf, tup, size, true, &id))
		elog(ERROR, "hnsw: a node of %zu bytes does not fit an empty page", size);
	UnlockReleaseBuffer(buf);
	return id;
}

/* Identical vector already indexed: add the heap TID to its node if it has room. */
static bool
add_to_duplicate(Relation index, HnswIndexInfo *info, uint64 id, const float *vec, ItemPointer heaptid)
{
	Buffer		buf = ReadBuffer(index, (BlockNumber) (id >> 16));
	GenericXLogState *state;
	HnswNodeTuple node;
	bool		added = false;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(index);
	node = HnswNodeOnPage(GenericXLogRegisterBuffer(state, buf, 0), id);
	/* a node with no heap TIDs left is being removed by VACUUM: do not revive it */
	if (node != NULL && node->nheaptids > 0 && node->nheaptids < HNSW_MAX_HEAPTIDS &&
		memcmp(node->vec, vec, sizeof(float) * info->dims) == 0)
	{
		node->heaptids[node->nheaptids++] = *heaptid;
		added = true;
		GenericXLogFinish(state);
	}
	else
		GenericXLogAbort(state);
	UnlockReleaseBuffer(buf);
	return added;
}

/*
 * The list `from` should have on a layer once `to` exists: `to` in a free slot, or the
 * heuristic's choice among the old list and `to`. False if the list need not change.
 */
static bool
recompute_links(HnswGraph *g, const float *from_vec, const ItemPointerData *old, int max,
				uint64 to, ItemPointerData *out)
{
	uint64	   *ids = palloc(sizeof(uint64) * (max + 1));
	uint64	   *kept = palloc(sizeof(uint64) * max);
	int			n = 0;
	int			nkept;
	bool		to_kept = false;

	memcpy(out, old, sizeof(ItemPointerData) * max);
	for (int i = 0; i < max; i++)
	{
		if (!ItemPointerIsValid(&old[i]))
		{
			HnswIdToTid(to, &out[i]);
			return true;
		}
		if (HnswTidToId(&old[i]) == to)
			return false;
		ids[n++] = HnswTidToId(&old[i]);
	}
	ids[n++] = to;
	nkept = HnswPrune(g, from_vec, ids, n, max, kept);
	for (int i = 0; i < max; i++)
	{
		if (i < nkept)
		{
			HnswIdToTid(kept[i], &out[i]);
			to_kept |= kept[i] == to;
		}
		else
			ItemPointerSetInvalid(&out[i]);
	}
	return to_kept;
}

/* Links an existing node `from` to the new node `to` on a layer. */
static void
add_backlink(Relation index, HnswGraph *g, uint64 from, int layer, uint64 to)
{
	int			m = g->info->m;
	int			max = HnswLayerSlots(m, layer);
	ItemPointerData *seen = palloc(sizeof(ItemPointerData) * max);
	ItemPointerData *wanted = palloc(sizeof(ItemPointerData) * max);
	float	   *from_vec = palloc(sizeof(float) * g->info->dims);

	for (;;)
	{
		Buffer		buf = ReadBuffer(index, (BlockNumber) (from >> 16));
		HnswNodeTuple node;
		GenericXLogState *state;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		node = HnswNodeOnPage(BufferGetPage(buf), from);
		if (node == NULL || layer > node->level)
		{
			UnlockReleaseBuffer(buf);
			return;
		}
		memcpy(seen, HnswNodeLinks(node) + HnswLayerOffset(m, layer), sizeof(ItemPointerData) * max);
		memcpy(from_vec, node->vec, sizeof(float) * g->info->dims);
		UnlockReleaseBuffer(buf);

		if (!recompute_links(g, from_vec, seen, max, to, wanted))
			return;

		buf = ReadBuffer(index, (BlockNumber) (from >> 16));
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		state = GenericXLogStart(index);
		node = HnswNodeOnPage(GenericXLogRegisterBuffer(state, buf, 0), from);
		if (node != NULL && layer <= node->level &&
			memcmp(HnswNodeLinks(node) + HnswLayerOffset(m, layer), seen, sizeof(ItemPointerData) * max) == 0)
		{
			memcpy(HnswNodeLinks(node) + HnswLayerOffset(m, layer), wanted, sizeof(ItemPointerData) * max);
			GenericXLogFinish(state);
			UnlockReleaseBuffer(buf);
			return;
		}
		/* another insert changed the list in between: recompute from what it is now */
		GenericXLogAbort(state);
		UnlockReleaseBuffer(buf);
		CHECK_FOR_INTERRUPTS();
	}
}

static void
set_entry(Relation index, uint64 id, int level)
{
	Buffer		buf = ReadBuffer(index, HNSW_METAPAGE_BLKNO);
	GenericXLogState *state;
	HnswMetaData *meta;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(index);
	meta = HnswPageGetMeta(GenericXLogRegisterBuffer(state, buf, 0));
	HnswIdToTid(id, &meta->entry);
	meta->entry_level = level;
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

/* Inserts a prepared value (HnswPrepareValue) for one heap row. */
void
HnswInsertValue(Relation index, HnswIndexInfo *info, const float *vec, ItemPointer heap_tid)
{
	int			level = HnswRandomLevel(info->m, info->max_level);
	LOCKMODE	mode = ShareLock;
	HnswMetaData meta;
	HnswGraph	g;
	HnswLayerChoice layers[HNSW_MAX_LEVEL + 1];
	HnswCandidate *nearest;
	HnswNodeTuple tup;
	Size		size;
	uint64		id;

	HnswInitDiskGraph(&g, index, info);
	HnswCacheVectors(&g);
	LockPage(index, HNSW_UPDATE_LOCK, mode);
	HnswReadMeta(index, &meta);
	if (!ItemPointerIsValid(&meta.entry) || level > meta.entry_level)
	{
		UnlockPage(index, HNSW_UPDATE_LOCK, mode);
		mode = ExclusiveLock;
		LockPage(index, HNSW_UPDATE_LOCK, mode);
		HnswReadMeta(index, &meta);
	}
	tup = form_node(info, level, vec, heap_tid, &size);
	if (!ItemPointerIsValid(&meta.entry))
	{
		set_entry(index, place_node(index, tup, size), level);
		UnlockPage(index, HNSW_UPDATE_LOCK, mode);
		return;
	}
	HnswChooseNeighbours(&g, vec, level, HnswTidToId(&meta.entry), meta.entry_level, layers, &nearest);
	if (nearest != NULL && nearest->dist == 0 &&
		add_to_duplicate(index, info, nearest->id, vec, heap_tid))
	{
		UnlockPage(index, HNSW_UPDATE_LOCK, mode);
		return;
	}
	for (int layer = 0; layer <= Min(level, meta.entry_level); layer++)
		for (int i = 0; i < layers[layer].count; i++)
			HnswIdToTid(layers[layer].ids[i], HnswNodeLinks(tup) + HnswLayerOffset(info->m, layer) + i);
	id = place_node(index, tup, size);
	for (int layer = 0; layer <= Min(level, meta.entry_level); layer++)
		for (int i = 0; i < layers[layer].count; i++)
			add_backlink(index, &g, layers[layer].ids[i], layer, id);
	if (level > meta.entry_level)
		set_entry(index, id, level);
	UnlockPage(index, HNSW_UPDATE_LOCK, mode);
}

/*
 * The memory of one insert: kept for the backend's life and reset after each insert, so its
 * first block (big enough for a typical insert's copies of neighbour vectors) is not given
 * back to the system and faulted in again every time.
 */
static MemoryContext
insert_context(void)
{
	static MemoryContext ctx = NULL;

	if (ctx == NULL)
		ctx = AllocSetContextCreate(TopMemoryContext, "hnsw insert",
									2 * 1024 * 1024, 2 * 1024 * 1024, ALLOCSET_DEFAULT_MAXSIZE);
	return ctx;
}

bool
hnswinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid, Relation heap,
		   IndexUniqueCheck checkUnique, bool indexUnchanged, IndexInfo *indexInfo)
{
	MemoryContext ctx = insert_context();
	MemoryContext old;
	HnswIndexInfo *info;
	float	   *vec;

	if (isnull[0])
		return false;
	old = MemoryContextSwitchTo(ctx);
	PG_TRY();
	{
		info = HnswGetIndexInfo(index);
		vec = palloc(sizeof(float) * info->dims);
		if (HnswPrepareValue(info, values[0], vec))
			HnswInsertValue(index, info, vec, heap_tid);
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(old);
		MemoryContextReset(ctx);
	}
	PG_END_TRY();
	return false;
}
