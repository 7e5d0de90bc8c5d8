/*
 * hnswvacuum.c: VACUUM for hnsw indexes: dead heap TIDs leave the index, nodes left without
 * any are unlinked from the graph, then freed so inserts reuse their space.
 *
 * 1. Every page: drop the TIDs VACUUM reports dead. A node with none left is "deleting": it
 *    still routes searches but returns nothing, and inserts never add TIDs to it.
 * 2. Under the exclusive update lock (no insert in flight): move the entry point off a deleting
 *    node, and give every live node that links to one a new list on that layer, chosen by the
 *    usual heuristic among its remaining neighbours and the deleting node's neighbours.
 * 3. Wait for scans that began before step 2 (they could still hold a deleting node).
 * 4. Free the deleting nodes' line pointers (element and neighbour tuples, and neighbour
 *    tuples an insert that crashed left without owner) and record the space in the free
 *    space map.
 * Each page change is one generic WAL record.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "commands/vacuum.h"
#include "storage/freespace.h"
#include "storage/indexfsm.h"
#include "storage/lmgr.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

typedef struct VacuumState
{
	Relation	index;
	HnswIndexInfo *info;
	HnswGraph	graph;
	IndexVacuumInfo *vinfo;
	IndexBulkDeleteResult *stats;
	IndexBulkDeleteCallback callback;
	void	   *callback_state;
	HTAB	   *deleting;		/* ids of nodes with no heap TIDs left */
	HTAB	   *deleting_slots; /* the TIDs (as ids) of their neighbour tuples */
	uint64		best_live;		/* a live node of the highest level, for a new entry point */
	int			best_level;
	MemoryContext tmp_ctx;
} VacuumState;

static bool
is_deleting(VacuumState *vs, uint64 id)
{
	bool		found;

	hash_search(vs->deleting, &id, HASH_FIND, &found);
	return found;
}

static bool
is_deleting_slots(VacuumState *vs, uint64 tid)
{
	bool		found;

	hash_search(vs->deleting_slots, &tid, HASH_FIND, &found);
	return found;
}

static HTAB *
id_set(const char *name)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(uint64);
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static Buffer
read_block(VacuumState *vs, BlockNumber blkno, int mode)
{
	Buffer		buf = ReadBufferExtended(vs->index, MAIN_FORKNUM, blkno, RBM_NORMAL, vs->vinfo->strategy);

	LockBuffer(buf, mode);
	return buf;
}

static bool
is_node_page(Page page)
{
	return !PageIsNew(page) && HnswPageGetOpaque(page)->flags == HNSW_PAGE_NODES;
}

/* A block of nodes under an exclusive lock, registered with generic WAL on its first change. */
typedef struct PageChange
{
	Buffer		buf;
	GenericXLogState *state;
	Page		page;			/* the buffer's page, then the copy to change */
} PageChange;

static bool
begin_page(VacuumState *vs, BlockNumber blkno, PageChange *pc)
{
	pc->buf = read_block(vs, blkno, BUFFER_LOCK_EXCLUSIVE);
	pc->state = NULL;
	pc->page = BufferGetPage(pc->buf);
	if (is_node_page(pc->page))
		return true;
	UnlockReleaseBuffer(pc->buf);
	return false;
}

static Page
page_to_change(VacuumState *vs, PageChange *pc)
{
	if (pc->state == NULL)
	{
		pc->state = GenericXLogStart(vs->index);
		pc->page = GenericXLogRegisterBuffer(pc->state, pc->buf, 0);
	}
	return pc->page;
}

static void
end_page(PageChange *pc)
{
	if (pc->state != NULL)
		GenericXLogFinish(pc->state);
	UnlockReleaseBuffer(pc->buf);
}

/* Step 1 ------------------------------------------------------------------------------------ */

static int
count_dead(VacuumState *vs, HnswElementTuple node)
{
	int			dead = 0;

	for (int i = 0; i < node->nheaptids; i++)
		if (vs->callback(&node->heaptids[i], vs->callback_state))
			dead++;
	return dead;
}

static void
drop_dead_tids(VacuumState *vs, HnswElementTuple node)
{
	int			kept = 0;

	for (int i = 0; i < node->nheaptids; i++)
		if (!vs->callback(&node->heaptids[i], vs->callback_state))
			node->heaptids[kept++] = node->heaptids[i];
	for (int i = kept; i < node->nheaptids; i++)
		ItemPointerSetInvalid(&node->heaptids[i]);
	node->nheaptids = kept;
}

static void
remove_dead_tids_on_page(VacuumState *vs, BlockNumber blkno)
{
	PageChange	pc;

	if (!begin_page(vs, blkno, &pc))
		return;
	for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(pc.page); off++)
	{
		uint64		id = ((uint64) blkno << 16) | off;
		HnswElementTuple node = HnswElementOnPage(pc.page, id);
		int			dead;

		if (node == NULL)
			continue;
		dead = count_dead(vs, node);
		if (dead > 0)
		{
			node = HnswElementOnPage(page_to_change(vs, &pc), id);
			drop_dead_tids(vs, node);
			vs->stats->tuples_removed += dead;
		}
		vs->stats->num_index_tuples += node->nheaptids;
		if (node->nheaptids == 0)
		{
			hash_search(vs->deleting, &id, HASH_ENTER, NULL);
			if (HnswSlotsTid(vs->info, node) != NULL)
			{
				uint64		slots = HnswTidToId(HnswSlotsTid(vs->info, node));

				hash_search(vs->deleting_slots, &slots, HASH_ENTER, NULL);
			}
		}
		else if (node->level > vs->best_level)
		{
			vs->best_live = id;
			vs->best_level = node->level;
		}
	}
	end_page(&pc);
}

/* Step 2 ------------------------------------------------------------------------------------ */

/* Adds id to ids[] unless it is there already, is `self`, or is deleting. */
static void
add_candidate(VacuumState *vs, uint64 *ids, int *n, uint64 id, uint64 self)
{
	if (id == self || is_deleting(vs, id))
		return;
	for (int i = 0; i < *n; i++)
		if (ids[i] == id)
			return;
	ids[(*n)++] = id;
}

/*
 * The new list on a layer for a live node (vector vec, slots `all`) that links to deleting
 * nodes: its live neighbours plus those of each deleting neighbour (and one more hop through
 * deleting ones). Returns false if no link needed replacing. out gets HnswLayerSlots slots.
 */
static bool
repaired_links(VacuumState *vs, const void *vec, const HnswLinkData *all, uint64 self, int layer,
			   HnswLinkData *out)
{
	int			m = vs->info->m;
	int			max = HnswLayerSlots(m, layer);
	const HnswLinkData *links = all + HnswLayerOffset(m, layer);
	int			cap = max * (1 + 2 * max) + 1;
	uint64	   *ids = palloc(sizeof(uint64) * cap);
	uint64	   *hop = palloc(sizeof(uint64) * max);
	uint64	   *hop2 = palloc(sizeof(uint64) * max);
	HnswNeighbour *kept = palloc(sizeof(HnswNeighbour) * max);
	bool		broken = false;
	int			n = 0;
	int			nkept;

	for (int i = 0; i < max; i++)
	{
		uint64		id;

		if (!ItemPointerIsValid(&links[i].tid))
			continue;
		id = HnswTidToId(&links[i].tid);
		if (!is_deleting(vs, id))
		{
			add_candidate(vs, ids, &n, id, self);
			continue;
		}
		broken = true;
		for (int j = 0, nh = vs->graph.neighbours(&vs->graph, id, layer, hop); j < nh; j++)
		{
			if (!is_deleting(vs, hop[j]))
				add_candidate(vs, ids, &n, hop[j], self);
			else
				for (int k = 0, nh2 = vs->graph.neighbours(&vs->graph, hop[j], layer, hop2); k < nh2 && n < cap; k++)
					add_candidate(vs, ids, &n, hop2[k], self);
		}
	}
	if (!broken)
		return false;
	nkept = HnswPrune(&vs->graph, vec, ids, n, max, kept);
	memset(out, 0, sizeof(HnswLinkData) * max);
	for (int i = 0; i < max; i++)
	{
		if (i < nkept)
			HnswSetLink(&out[i], &kept[i]);
		else
			ItemPointerSetInvalid(&out[i].tid);
	}
	return true;
}

/*
 * Writes a node's repaired slots (new, all its layers) where its slots are, if they still
 * are what the repair read (old): nothing else changes links under the exclusive update
 * lock, so they are unless the node is gone.
 */
static void
write_repaired(VacuumState *vs, uint64 id, const HnswLinkData *old, const HnswLinkData *new, Size size)
{
	HnswLinkData *links;
	int			level;
	Buffer		buf = HnswLockLinks(vs->index, vs->info, id, BUFFER_LOCK_EXCLUSIVE, &links, &level);
	HnswByteRange range;

	if (!BufferIsValid(buf))
		return;
	if (memcmp(links, old, size) == 0)
	{
		range = HnswRangeOf(BufferGetPage(buf), links, size, new);
		HnswWritePage(vs->index, buf, &range, 1);
	}
	UnlockReleaseBuffer(buf);
}

/* Repairs one live node (its element tuple: a copy) that may link to deleting nodes. */
static void
repair_node(VacuumState *vs, uint64 id, HnswElementTuple node)
{
	Size		size = HnswSlotsSize(vs->info->m, node->level);
	HnswLinkData *old = palloc(size);
	HnswLinkData *new;
	HnswLinkData *links;
	int			level;
	bool		changed = false;
	Buffer		buf = HnswLockLinks(vs->index, vs->info, id, BUFFER_LOCK_SHARE, &links, &level);

	if (!BufferIsValid(buf))
		return;
	memcpy(old, links, size);
	UnlockReleaseBuffer(buf);
	new = palloc(size);
	memcpy(new, old, size);
	for (int layer = 0; layer <= node->level; layer++)
		if (repaired_links(vs, HnswElementVector(node), old, id, layer,
						   new + HnswLayerOffset(vs->info->m, layer)))
			changed = true;
	if (changed)
		write_repaired(vs, id, old, new, size);
}

/*
 * A neighbour tuple without owner is left by an insert that crashed or failed between
 * writing it and its element tuple: under the exclusive update lock no insert is between the
 * two, so it goes with the deleting nodes' tuples (its TID stays taken until then).
 */
static void
note_orphan(VacuumState *vs, Page page, OffsetNumber off, uint64 id)
{
	HnswNeighbourTuple nb = HnswNeighboursAt(page, off);

	if (nb != NULL && !ItemPointerIsValid(&nb->owner))
		hash_search(vs->deleting_slots, &id, HASH_ENTER, NULL);
}

static void
repair_page(VacuumState *vs, BlockNumber blkno)
{
	PGAlignedBlock copy;
	Buffer		buf = read_block(vs, blkno, BUFFER_LOCK_SHARE);

	memcpy(copy.data, BufferGetPage(buf), BLCKSZ);
	UnlockReleaseBuffer(buf);
	if (!is_node_page(copy.data))
		return;
	HnswCacheVectors(&vs->graph);	/* in the per-page context */
	for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(copy.data); off++)
	{
		uint64		id = ((uint64) blkno << 16) | off;
		HnswElementTuple node = HnswElementOnPage(copy.data, id);

		if (node == NULL)
			note_orphan(vs, copy.data, off, id);
		else if (node->nheaptids > 0)
			repair_node(vs, id, node);
		vacuum_delay_point();
	}
}

static void
move_entry_point(VacuumState *vs)
{
	Buffer		buf = read_block(vs, HNSW_METAPAGE_BLKNO, BUFFER_LOCK_EXCLUSIVE);
	HnswMetaData *meta = HnswPageGetMeta(BufferGetPage(buf));
	GenericXLogState *state;

	if (!ItemPointerIsValid(&meta->entry) || !is_deleting(vs, HnswTidToId(&meta->entry)))
	{
		UnlockReleaseBuffer(buf);
		return;
	}
	state = GenericXLogStart(vs->index);
	meta = HnswPageGetMeta(GenericXLogRegisterBuffer(state, buf, 0));
	if (vs->best_level >= 0)
	{
		HnswIdToTid(vs->best_live, &meta->entry);
		meta->entry_level = vs->best_level;
	}
	else
	{
		ItemPointerSetInvalid(&meta->entry);
		meta->entry_level = -1;
	}
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

/* Step 4 ------------------------------------------------------------------------------------ */

/*
 * Whether the tuple at off goes: a deleting node's element tuple, or its neighbour tuple (or
 * an orphan one, see note_orphan). By TID, both: while this pass frees pages one by one, an
 * insert may reuse a deleting node's freed element TID for a new node whose neighbour tuple
 * (naming that TID as owner) lands on a page not freed yet, but no TID on such a page can have
 * been freed and reused.
 */
static bool
is_freed_with_deleting_node(VacuumState *vs, Page page, BlockNumber blkno, OffsetNumber off)
{
	uint64		id = ((uint64) blkno << 16) | off;
	HnswElementTuple node = HnswElementOnPage(page, id);

	if (node != NULL)
		return node->nheaptids == 0 && is_deleting(vs, id);
	return HnswNeighboursAt(page, off) != NULL && is_deleting_slots(vs, id);
}

static void
free_deleting_on_page(VacuumState *vs, BlockNumber blkno)
{
	PageChange	pc;

	if (!begin_page(vs, blkno, &pc))
		return;
	for (OffsetNumber off = PageGetMaxOffsetNumber(pc.page); off >= FirstOffsetNumber; off--)
	{
		if (!is_freed_with_deleting_node(vs, pc.page, blkno, off))
			continue;
		PageIndexTupleDeleteNoCompact(page_to_change(vs, &pc), off);
		PageSetHasFreeLinePointers(pc.page);
	}
	RecordPageWithFreeSpace(vs->index, blkno, PageGetFreeSpace(pc.page));
	end_page(&pc);
}

/* The whole pass ---------------------------------------------------------------------------- */

static void
for_each_node_page(VacuumState *vs, void (*fn) (VacuumState *, BlockNumber))
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(vs->index);

	for (BlockNumber blkno = HNSW_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		MemoryContext old = MemoryContextSwitchTo(vs->tmp_ctx);

		vacuum_delay_point();
		fn(vs, blkno);
		MemoryContextSwitchTo(old);
		MemoryContextReset(vs->tmp_ctx);
		vs->graph.vectors = NULL;	/* it was in tmp_ctx */
	}
}

IndexBulkDeleteResult *
hnswbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
			   IndexBulkDeleteCallback callback, void *callback_state)
{
	VacuumState vs;

	HnswCheckVersion(info->index);
	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));
	memset(&vs, 0, sizeof(vs));
	vs.index = info->index;
	vs.info = HnswGetIndexInfo(info->index);
	HnswInitDiskGraph(&vs.graph, info->index, vs.info);
	vs.vinfo = info;
	vs.stats = stats;
	vs.callback = callback;
	vs.callback_state = callback_state;
	vs.best_level = -1;
	vs.tmp_ctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw vacuum", ALLOCSET_DEFAULT_SIZES);
	vs.deleting = id_set("hnsw deleting nodes");
	vs.deleting_slots = id_set("hnsw deleting nodes' neighbour tuples");

	stats->num_index_tuples = 0;
	for_each_node_page(&vs, remove_dead_tids_on_page);
	if (hash_get_num_entries(vs.deleting) > 0)
	{
		LockPage(vs.index, HNSW_UPDATE_LOCK, ExclusiveLock);
		move_entry_point(&vs);
		for_each_node_page(&vs, repair_page);
		UnlockPage(vs.index, HNSW_UPDATE_LOCK, ExclusiveLock);

		LockPage(vs.index, HNSW_SCAN_LOCK, ExclusiveLock);
		UnlockPage(vs.index, HNSW_SCAN_LOCK, ExclusiveLock);

		for_each_node_page(&vs, free_deleting_on_page);
		IndexFreeSpaceMapVacuum(vs.index);
	}
	hash_destroy(vs.deleting);
	hash_destroy(vs.deleting_slots);
	MemoryContextDelete(vs.tmp_ctx);
	return stats;
}

static double
count_heap_tids(Relation index)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	double		count = 0;

	for (BlockNumber blkno = HNSW_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf = ReadBuffer(index, blkno);
		Page		page;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (is_node_page(page))
			for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
			{
				HnswElementTuple node = HnswElementOnPage(page, ((uint64) blkno << 16) | off);

				if (node != NULL)
					count += node->nheaptids;
			}
		UnlockReleaseBuffer(buf);
	}
	return count;
}

IndexBulkDeleteResult *
hnswvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	if (info->analyze_only)
		return stats;
	if (stats == NULL)
	{
		HnswCheckVersion(info->index);
		stats = palloc0(sizeof(IndexBulkDeleteResult));
		stats->num_index_tuples = count_heap_tids(info->index);
	}
	stats->num_pages = RelationGetNumberOfBlocks(info->index);
	return stats;
}
