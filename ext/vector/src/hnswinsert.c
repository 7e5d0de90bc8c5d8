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
 *
 * A back-link is decided from what the neighbour's slots record (each link's distance and
 * whether the heuristic pruned it) and the distances the new node's own search measured, so
 * no neighbour's vector is read: see link_new_node.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "miscadmin.h"
#include "storage/freespace.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

/*
 * Adds tup to a page that has room; returns its id, or false if no room. A new page is logged
 * whole; on an existing one, the tuple is added to a copy and only the bytes that changed (page
 * header, line pointer, tuple) are written and logged.
 */
static bool
add_to_page(Relation index, Buffer buf, const void *tup, Size size, bool new_page, uint64 *id)
{
	Page		page = BufferGetPage(buf);
	PGAlignedBlock copy;
	OffsetNumber off;
	ItemId		item;
	HnswByteRange ranges[3];

	if (new_page)
	{
		GenericXLogState *state = GenericXLogStart(index);

		page = GenericXLogRegisterBuffer(state, buf, GENERIC_XLOG_FULL_IMAGE);
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
	if (PageIsNew(page) || HnswPageGetOpaque(page)->flags != HNSW_PAGE_NODES ||
		PageGetFreeSpace(page) < size)
		return false;
	memcpy(copy.data, page, BLCKSZ);
	off = PageAddItem(copy.data, (Item) tup, size, InvalidOffsetNumber, false, false);
	if (off == InvalidOffsetNumber)
		return false;
	item = PageGetItemId(copy.data, off);
	ranges[0] = HnswRangeOf(copy.data, copy.data, SizeOfPageHeaderData, copy.data);
	ranges[1] = HnswRangeOf(copy.data, item, sizeof(ItemIdData), item);
	ranges[2] = HnswRangeOf(copy.data, PageGetItem(copy.data, item), size, PageGetItem(copy.data, item));
	HnswWritePage(index, buf, ranges, 3);
	*id = ((uint64) BufferGetBlockNumber(buf) << 16) | off;
	return true;
}

/* Writes a tuple where there is room: a page the free space map knows, the last page, or a new one. */
static uint64
place_tuple(Relation index, const void *tup, Size size)
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
		elog(ERROR, "hnsw: a tuple of %zu bytes does not fit an empty page", size);
	UnlockReleaseBuffer(buf);
	return id;
}

/* Identical vector already indexed: add the heap TID to its node if it has room. */
static bool
add_to_duplicate(Relation index, HnswIndexInfo *info, uint64 id, const void *vec, ItemPointer heaptid)
{
	Buffer		buf = ReadBuffer(index, (BlockNumber) (id >> 16));
	HnswElementTuple node;
	bool		added = false;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	node = HnswElementOnPage(BufferGetPage(buf), id);
	/* a node with no heap TIDs left is being removed by VACUUM: do not revive it */
	if (node != NULL && node->nheaptids > 0 && node->nheaptids < HNSW_MAX_HEAPTIDS &&
		HnswSameValue(info, HnswElementVector(node), vec))
	{
		HnswElementTupleData head;
		Size		length = offsetof(HnswElementTupleData, heaptids) + sizeof(ItemPointerData) * (node->nheaptids + 1);
		HnswByteRange range;

		memcpy(&head, node, HNSW_ELEMENT_HEADER_SIZE);
		head.heaptids[head.nheaptids++] = *heaptid;
		range = HnswRangeOf(BufferGetPage(buf), node, length, &head);
		HnswWritePage(index, buf, &range, 1);
		added = true;
	}
	UnlockReleaseBuffer(buf);
	return added;
}

/*
 * The distance between the new node (vec) and node id: as its search measured it, else
 * computed on id's page. False if id is gone.
 */
static bool
distance_to_new(HnswGraph *g, const HnswIdMap *met, const void *vec, uint64 id, float *dist)
{
	HnswCandidate c;

	if (HnswDistanceMapGet(met, id, dist))
		return true;
	if (!g->visit(g, id, vec, &c))
		return false;
	*dist = c.dist;
	return true;
}

/*
 * Would the heuristic keep the new node (at dist from the list's owner) rather than prune
 * it: is every kept link nearer to the owner than it also farther from it than the owner is?
 */
static bool
new_node_is_diverse(HnswGraph *g, const HnswIdMap *met, const void *vec,
					const HnswLinkData *links, int max, float dist)
{
	for (int i = 0; i < max; i++)
	{
		float		d;

		if (ItemPointerIsValid(&links[i].tid) && !links[i].pruned && links[i].dist < dist &&
			distance_to_new(g, met, vec, HnswTidToId(&links[i].tid), &d) && d < dist)
			return false;
	}
	return true;
}

/* The slot of the farthest link (pruned ones only, if asked); -1 if none. */
static int
farthest_link(const HnswLinkData *links, int max, bool pruned_only)
{
	int			far = -1;

	for (int i = 0; i < max; i++)
		if (ItemPointerIsValid(&links[i].tid) && (!pruned_only || links[i].pruned) &&
			(far < 0 || links[i].dist > links[far].dist))
			far = i;
	return far;
}

/*
 * Adds the new node `to` (vector vec, at dist from the list's owner) to a neighbour list of
 * max slots, as the heuristic rerun over the list and `to` would, approximately: the heuristic
 * keeps `to` if no kept link nearer to the owner is nearer to `to`; a kept `to` takes a free
 * slot, else the farthest pruned link's, else the farthest link's if that is farther than
 * `to`; kept links farther than `to` and nearer to it than to the owner become pruned. A
 * pruned `to` takes a free slot or the farthest pruned link's if that is farther. Distances to
 * `to` come from its search (met), else its page. False if the list does not change.
 */
static bool
link_new_node(HnswGraph *g, const HnswIdMap *met, const void *vec, HnswLinkData *links,
			  int max, uint64 to, float dist)
{
	bool		diverse;
	int			slot = -1;

	for (int i = 0; i < max; i++)
	{
		if (ItemPointerIsValid(&links[i].tid) && HnswTidToId(&links[i].tid) == to)
			return false;
		if (slot < 0 && !ItemPointerIsValid(&links[i].tid))
			slot = i;
	}
	diverse = new_node_is_diverse(g, met, vec, links, max, dist);
	if (slot < 0)
	{
		slot = farthest_link(links, max, true);
		if (slot < 0 && diverse)
			slot = farthest_link(links, max, false);
		if (slot < 0 || (links[slot].dist <= dist && (!diverse || !links[slot].pruned)))
			return false;
	}
	HnswSetLink(&links[slot], &(HnswNeighbour) {to, dist, !diverse});
	for (int i = 0; diverse && i < max; i++)
	{
		float		d;

		if (i != slot && ItemPointerIsValid(&links[i].tid) && !links[i].pruned &&
			links[i].dist > dist && HnswDistanceMapGet(met, HnswTidToId(&links[i].tid), &d) &&
			d < links[i].dist)
			links[i].pruned = true;
	}
	return true;
}

/* Links an existing node `from` to the new node `to` (vector vec, at dist) on a layer. */
static void
add_backlink(Relation index, HnswGraph *g, const HnswIdMap *met, const void *vec,
			 const HnswNeighbour *from, int layer, uint64 to)
{
	int			m = g->info->m;
	int			max = HnswLayerSlots(m, layer);
	int			first = HnswLayerOffset(m, layer);
	Size		size = sizeof(HnswLinkData) * max;
	HnswLinkData *seen = palloc(size);
	HnswLinkData *wanted = palloc(size);

	for (;;)
	{
		HnswLinkData *links;
		int			level;
		Buffer		buf = HnswLockLinks(index, g->info, from->id, BUFFER_LOCK_SHARE, &links, &level);

		if (!BufferIsValid(buf))
			return;
		if (layer > level)
		{
			UnlockReleaseBuffer(buf);
			return;
		}
		memcpy(seen, links + first, size);
		UnlockReleaseBuffer(buf);

		memcpy(wanted, seen, size);
		if (!link_new_node(g, met, vec, wanted, max, to, from->dist))
			return;

		buf = HnswLockLinks(index, g->info, from->id, BUFFER_LOCK_EXCLUSIVE, &links, &level);
		if (!BufferIsValid(buf))
			return;
		if (layer <= level && memcmp(links + first, seen, size) == 0)
		{
			HnswByteRange range = HnswRangeOf(BufferGetPage(buf), links + first, size, wanted);

			HnswWritePage(index, buf, &range, 1);
			UnlockReleaseBuffer(buf);
			return;
		}
		/* another insert changed the list in between: recompute from what it is now */
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

/*
 * Writes a new node: its element tuple (tup, of size) and, unless its slots are inline, first
 * a neighbour tuple holding them (the element tuple then points at it). Returns the node's id.
 */
static uint64
place_node(Relation index, HnswIndexInfo *info, HnswElementTuple tup, Size size,
		   HnswLinkData *slots)
{
	HnswNeighbourTuple nb;
	Size		nb_size;
	uint64		nb_id;
	uint64		id;
	HnswNeighbourTupleData head;
	Buffer		buf;
	HnswByteRange range;

	if (HnswInlineLinks(info, tup) != NULL)
		return place_tuple(index, tup, size);
	/* the neighbour tuple first, its owner not known yet; then the element pointing at it */
	nb = HnswFormNeighbours(info, tup->level, &nb_size);
	memcpy(nb->links, slots, HnswSlotsSize(info->m, tup->level));
	nb_id = place_tuple(index, nb, nb_size);
	HnswIdToTid(nb_id, HnswSlotsTid(info, tup));
	id = place_tuple(index, tup, size);

	buf = ReadBuffer(index, (BlockNumber) (nb_id >> 16));
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	nb = HnswNeighboursAt(BufferGetPage(buf), (OffsetNumber) (nb_id & 0xFFFF));
	if (nb == NULL)
		elog(ERROR, "hnsw: the neighbour tuple just written at (%u,%u) is gone",
			 (BlockNumber) (nb_id >> 16), (OffsetNumber) (nb_id & 0xFFFF));
	memcpy(&head, nb, HNSW_NEIGHBOUR_HEADER_SIZE);
	HnswIdToTid(id, &head.owner);
	range = HnswRangeOf(BufferGetPage(buf), nb, HNSW_NEIGHBOUR_HEADER_SIZE, &head);
	HnswWritePage(index, buf, &range, 1);
	UnlockReleaseBuffer(buf);
	return id;
}

/* Inserts a prepared value (HnswPrepareValue) for one heap row. */
void
HnswInsertValue(Relation index, HnswIndexInfo *info, const void *vec, ItemPointer heap_tid)
{
	int			level = HnswRandomLevel(info->m, info->max_level);
	LOCKMODE	mode = ShareLock;
	HnswMetaData meta;
	HnswGraph	g;
	HnswLayerChoice layers[HNSW_MAX_LEVEL + 1];
	HnswCandidate *nearest;
	HnswIdMap	met;
	HnswElementTuple tup;
	HnswLinkData *slots;
	Size		size;
	uint64		id;

	HnswInitDiskGraph(&g, index, info);
	HnswDistanceMapInit(&met, 2048);
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
	tup = HnswFormElement(info, level, vec, &size);
	tup->nheaptids = 1;
	tup->heaptids[0] = *heap_tid;
	if ((slots = HnswInlineLinks(info, tup)) == NULL)
	{
		slots = palloc(HnswSlotsSize(info->m, level));
		for (int i = 0; i < HnswLinkCount(info->m, level); i++)
			ItemPointerSetInvalid(&slots[i].tid);
	}
	if (!ItemPointerIsValid(&meta.entry))
	{
		set_entry(index, place_node(index, info, tup, size, slots), level);
		UnlockPage(index, HNSW_UPDATE_LOCK, mode);
		return;
	}
	nearest = HnswSearchLayers(&g, vec, level, HnswTidToId(&meta.entry), meta.entry_level, layers, &met);
	if (HnswMaybeSameVector(info, vec, nearest) &&
		add_to_duplicate(index, info, nearest->id, vec, heap_tid))
	{
		UnlockPage(index, HNSW_UPDATE_LOCK, mode);
		return;
	}
	HnswSelectLayers(&g, Min(level, meta.entry_level), layers);
	for (int layer = 0; layer <= Min(level, meta.entry_level); layer++)
		for (int i = 0; i < layers[layer].count; i++)
			HnswSetLink(slots + HnswLayerOffset(info->m, layer) + i, &layers[layer].chosen[i]);
	id = place_node(index, info, tup, size, slots);
	/* back-links from every chosen neighbour, pruned ones too */
	for (int layer = 0; layer <= Min(level, meta.entry_level); layer++)
		for (int i = 0; i < layers[layer].count; i++)
			add_backlink(index, &g, &met, vec, &layers[layer].chosen[i], layer, id);
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
	void	   *vec;

	if (isnull[0])
		return false;
	old = MemoryContextSwitchTo(ctx);
	PG_TRY();
	{
		info = HnswGetIndexInfo(index);
		vec = HnswPrepareValue(info, values[0]);
		if (vec != NULL)
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
