/*
 * hnswbuild.c: CREATE INDEX for hnsw. Reads the table, builds the graph in memory (the same
 * search and selection code as inserts, on arrays instead of pages), then writes every node
 * to pages in one sequential pass and WAL-logs the finished pages at once.
 *
 * If the graph outgrows maintenance_work_mem, what exists is written out and the remaining
 * rows are inserted like ordinary inserts (slower, same result). All memory lives in a context
 * deleted before returning.
 */
#include "postgres.h"

#include "access/tableam.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"

/*
 * A node in memory. Its slots are as HnswLinkData's, with node numbers instead of TIDs, in
 * three arrays so that a search, which reads only the numbers, touches few cache lines.
 */
typedef struct BuildNode
{
	void	   *vec;			/* the value, in its element type's stored form */
	int32	   *links;			/* HnswLinkCount(m, level) node numbers, -1 = empty */
	float	   *dists;			/* distance to each */
	bool	   *pruned;			/* the heuristic pruned it */
	uint8		level;
	uint8		nheaptids;
	ItemPointerData heaptids[HNSW_MAX_HEAPTIDS];
	ItemPointerData tid;		/* where it is written */
} BuildNode;

typedef struct BuildState
{
	Relation	index;
	HnswIndexInfo *info;
	HnswGraph	graph;
	BuildNode  *nodes;
	int64		count;
	int64		capacity;
	int64		entry;
	int			entry_level;
	Size		memory_used;
	Size		memory_limit;
	bool		on_disk;		/* the graph is written; insert the rest through pages */
	double		indtuples;
	void	   *value;
	MemoryContext graph_ctx;
	MemoryContext tmp_ctx;
} BuildState;

/* The graph in memory, for the search code ---------------------------------------------- */

static bool
memory_visit(HnswGraph *g, uint64 id, const void *query, HnswCandidate *c)
{
	BuildState *bs = (BuildState *) g->ctx;

	c->dist = HnswDistance(g->info, query, bs->nodes[id].vec);
	c->level = bs->nodes[id].level;
	c->nheaptids = 0;
	return true;
}

static int
memory_neighbours(HnswGraph *g, uint64 id, int layer, uint64 *out)
{
	BuildState *bs = (BuildState *) g->ctx;
	BuildNode  *node = &bs->nodes[id];
	int32	   *links = node->links + HnswLayerOffset(g->info->m, layer);
	int			n = 0;

	if (layer > node->level)
		return 0;
	for (int i = 0; i < HnswLayerSlots(g->info->m, layer); i++)
		if (links[i] >= 0)
			out[n++] = (uint64) links[i];
	return n;
}

static const void *
memory_vector(HnswGraph *g, uint64 id)
{
	return ((BuildState *) g->ctx)->nodes[id].vec;
}

/* Adding nodes ------------------------------------------------------------------------------ */

static BuildNode *
new_node(BuildState *bs, const void *vec, int level, ItemPointer heaptid)
{
	int			nlinks = HnswLinkCount(bs->info->m, level);
	BuildNode  *node;
	MemoryContext old = MemoryContextSwitchTo(bs->graph_ctx);

	if (bs->count == bs->capacity)
	{
		bs->capacity = Max(1024, bs->capacity * 2);
		bs->nodes = bs->nodes == NULL
			? MemoryContextAllocHuge(bs->graph_ctx, sizeof(BuildNode) * bs->capacity)
			: repalloc_huge(bs->nodes, sizeof(BuildNode) * bs->capacity);
	}
	node = &bs->nodes[bs->count++];
	node->vec = palloc(HnswValueSize(bs->info, vec));
	memcpy(node->vec, vec, HnswValueSize(bs->info, vec));
	node->links = palloc(sizeof(int32) * nlinks);
	node->dists = palloc0(sizeof(float) * nlinks);
	node->pruned = palloc0(sizeof(bool) * nlinks);
	for (int i = 0; i < nlinks; i++)
		node->links[i] = -1;
	node->level = level;
	node->nheaptids = 1;
	node->heaptids[0] = *heaptid;
	MemoryContextSwitchTo(old);
	bs->memory_used += sizeof(BuildNode) + HnswValueSize(bs->info, vec) + (sizeof(int32) + sizeof(float) + sizeof(bool)) * nlinks;
	return node;
}

static void
set_build_link(BuildNode *node, int slot, const HnswNeighbour *chosen)
{
	node->links[slot] = (int32) chosen->id;
	node->pruned[slot] = chosen->pruned;
	node->dists[slot] = chosen->dist;
}

/*
 * Links node `from` to `to` (chosen: to's id and distance) on a layer; a full list is
 * re-pruned with the heuristic (in memory, the neighbours' vectors are at hand).
 */
static void
add_link(BuildState *bs, int64 from, int layer, int64 to, float dist)
{
	int			max = HnswLayerSlots(bs->info->m, layer);
	int			first = HnswLayerOffset(bs->info->m, layer);
	BuildNode  *node = &bs->nodes[from];
	uint64	   *ids;
	HnswNeighbour *kept;
	int			n;

	for (int i = 0; i < max; i++)
	{
		if (node->links[first + i] < 0)
		{
			set_build_link(node, first + i, &(HnswNeighbour) {(uint64) to, dist, false});
			return;
		}
	}
	ids = palloc(sizeof(uint64) * (max + 1));
	kept = palloc(sizeof(HnswNeighbour) * max);
	for (int i = 0; i < max; i++)
		ids[i] = (uint64) node->links[first + i];
	ids[max] = (uint64) to;
	n = HnswPrune(&bs->graph, node->vec, ids, max + 1, max, kept);
	for (int i = 0; i < max; i++)
	{
		if (i < n)
			set_build_link(node, first + i, &kept[i]);
		else
			node->links[first + i] = -1;
	}
}

static void
insert_in_memory(BuildState *bs, const void *vec, ItemPointer heaptid)
{
	int			level = HnswRandomLevel(bs->info->m, bs->info->max_level);
	HnswLayerChoice layers[HNSW_MAX_LEVEL + 1];
	HnswCandidate *nearest;
	int64		id;

	if (bs->count == 0)
	{
		new_node(bs, vec, level, heaptid);
		bs->entry = 0;
		bs->entry_level = level;
		return;
	}
	nearest = HnswSearchLayers(&bs->graph, vec, level, bs->entry, bs->entry_level, layers, NULL);
	if (HnswMaybeSameVector(bs->info, vec, nearest) &&
		HnswSameValue(bs->info, bs->nodes[nearest->id].vec, vec) &&
		bs->nodes[nearest->id].nheaptids < HNSW_MAX_HEAPTIDS)
	{
		BuildNode  *same = &bs->nodes[nearest->id];

		same->heaptids[same->nheaptids++] = *heaptid;
		return;
	}
	HnswSelectLayers(&bs->graph, Min(level, bs->entry_level), layers);
	new_node(bs, vec, level, heaptid);
	id = bs->count - 1;
	for (int layer = 0; layer <= Min(level, bs->entry_level); layer++)
	{
		for (int i = 0; i < layers[layer].count; i++)
		{
			HnswNeighbour *chosen = &layers[layer].chosen[i];

			set_build_link(&bs->nodes[id], HnswLayerOffset(bs->info->m, layer) + i, chosen);
			add_link(bs, (int64) chosen->id, layer, id, chosen->dist);
		}
	}
	if (level > bs->entry_level)
	{
		bs->entry = id;
		bs->entry_level = level;
	}
}

/* Writing pages ----------------------------------------------------------------------------- */

static void
write_new_block(Relation index, Page page, BlockNumber expected)
{
	Buffer		buf = ReadBufferExtended(index, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);

	if (BufferGetBlockNumber(buf) != expected)
		elog(ERROR, "hnsw build: expected to write block %u, got %u", expected, BufferGetBlockNumber(buf));
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	memcpy(BufferGetPage(buf), page, BLCKSZ);
	MarkBufferDirty(buf);
	UnlockReleaseBuffer(buf);
}

/* Where the next tuple goes when tuples fill pages in order. */
typedef struct TidCursor
{
	BlockNumber next;			/* the next block to start */
	BlockNumber blkno;			/* the block being filled, or invalid: start one */
	OffsetNumber off;
	Size		free_space;
	Size		capacity;		/* of an empty page */
} TidCursor;

static void
place_in_order(TidCursor *c, Size size, ItemPointer tid)
{
	Size		need = size + sizeof(ItemIdData);

	if (c->blkno == InvalidBlockNumber || need > c->free_space)
	{
		c->blkno = c->next++;
		c->off = FirstOffsetNumber;
		c->free_space = c->capacity;
	}
	ItemPointerSet(tid, c->blkno, c->off);
	c->off++;
	c->free_space -= need;
}

/*
 * Gives every node its TID, and every node whose slots do not fit its element tuple the TID
 * of its neighbour tuple (nb_tids; invalid for the others): element tuples fill pages in node
 * order from block 1, then neighbour tuples fill the pages after them. Returns the number of
 * blocks the graph takes, the meta page included.
 */
static BlockNumber
assign_tids(BuildState *bs, ItemPointerData *nb_tids)
{
	PGAlignedBlock scratch;
	TidCursor	c;

	HnswInitPage(scratch.data, HNSW_PAGE_NODES);
	c.capacity = PageGetExactFreeSpace(scratch.data);
	c.next = HNSW_METAPAGE_BLKNO + 1;
	c.blkno = InvalidBlockNumber;
	for (int64 i = 0; i < bs->count; i++)
		place_in_order(&c, HnswElementSize(bs->info, bs->nodes[i].level, bs->nodes[i].vec), &bs->nodes[i].tid);
	c.blkno = InvalidBlockNumber;
	for (int64 i = 0; i < bs->count; i++)
	{
		int			level = bs->nodes[i].level;

		ItemPointerSetInvalid(&nb_tids[i]);
		if (!HnswLinksInline(bs->info, level, bs->nodes[i].vec))
			place_in_order(&c, HnswNeighbourSize(bs->info->m, level), &nb_tids[i]);
	}
	return c.next;
}

/* A node's slots, with the TIDs the nodes were given. */
static void
fill_slots(BuildState *bs, BuildNode *node, HnswLinkData *links)
{
	int			nlinks = HnswLinkCount(bs->info->m, node->level);

	for (int i = 0; i < nlinks; i++)
	{
		if (node->links[i] >= 0)
		{
			links[i].tid = bs->nodes[node->links[i]].tid;
			links[i].pruned = node->pruned[i];
			links[i].unused = 0;
			links[i].dist = node->dists[i];
		}
		else
			ItemPointerSetInvalid(&links[i].tid);
	}
}

/* A node's element tuple (tup: zeroed, large enough), pointing at nb_tid if valid. */
static void
fill_element(BuildState *bs, BuildNode *node, const ItemPointerData *nb_tid, HnswElementTuple tup)
{
	tup->kind = HNSW_TUPLE_ELEMENT;
	tup->level = node->level;
	tup->nheaptids = node->nheaptids;
	tup->flags = ItemPointerIsValid(nb_tid) ? HNSW_ELEMENT_SPLIT : 0;
	memcpy(tup->heaptids, node->heaptids, sizeof(ItemPointerData) * node->nheaptids);
	memcpy(HnswElementVector(tup), node->vec, HnswValueSize(bs->info, node->vec));
	if (ItemPointerIsValid(nb_tid))
		*HnswSlotsTid(bs->info, tup) = *nb_tid;
	else
		fill_slots(bs, node, HnswInlineLinks(bs->info, tup));
}

/* Fills pages in block order, writing each when the next tuple is for a later block. */
typedef struct PageWriter
{
	Relation	index;
	PGAlignedBlock page;
	BlockNumber current;		/* invalid: nothing added yet */
} PageWriter;

static void
writer_add(PageWriter *w, const ItemPointerData *tid, const void *tup, Size size)
{
	BlockNumber blkno = ItemPointerGetBlockNumber(tid);

	if (blkno != w->current)
	{
		if (w->current != InvalidBlockNumber)
			write_new_block(w->index, w->page.data, w->current);
		w->current = blkno;
		HnswInitPage(w->page.data, HNSW_PAGE_NODES);
	}
	if (PageAddItem(w->page.data, (Item) tup, size, InvalidOffsetNumber, false, false) !=
		ItemPointerGetOffsetNumber(tid))
		elog(ERROR, "hnsw build: a tuple does not fit where it was placed");
}

static void
writer_finish(PageWriter *w)
{
	if (w->current != InvalidBlockNumber)
		write_new_block(w->index, w->page.data, w->current);
	w->current = InvalidBlockNumber;
}

static void
write_meta(BuildState *bs)
{
	PGAlignedBlock page;
	HnswMetaData *meta;

	HnswInitMetaPage(page.data, bs->info);
	meta = HnswPageGetMeta(page.data);
	if (bs->count > 0)
	{
		meta->entry = bs->nodes[bs->entry].tid;
		meta->entry_level = bs->entry_level;
	}
	write_new_block(bs->index, page.data, HNSW_METAPAGE_BLKNO);
}

/* Writes the meta page, every node's element tuple, then the neighbour tuples. */
static void
write_graph(BuildState *bs)
{
	ItemPointerData *nb_tids = MemoryContextAllocHuge(CurrentMemoryContext,
													  sizeof(ItemPointerData) * Max(bs->count, 1));
	char	   *tup = palloc(HnswMaxTupleSize());
	PageWriter	w;

	assign_tids(bs, nb_tids);
	write_meta(bs);
	w.index = bs->index;
	w.current = InvalidBlockNumber;
	for (int64 i = 0; i < bs->count; i++)
	{
		BuildNode  *node = &bs->nodes[i];
		Size		size = HnswElementSize(bs->info, node->level, node->vec);

		memset(tup, 0, size);
		fill_element(bs, node, &nb_tids[i], (HnswElementTuple) tup);
		writer_add(&w, &node->tid, tup, size);
		CHECK_FOR_INTERRUPTS();
	}
	for (int64 i = 0; i < bs->count; i++)
	{
		BuildNode  *node = &bs->nodes[i];
		HnswNeighbourTuple nb = (HnswNeighbourTuple) tup;
		Size		size = HnswNeighbourSize(bs->info->m, node->level);

		if (!ItemPointerIsValid(&nb_tids[i]))
			continue;
		memset(tup, 0, size);
		nb->kind = HNSW_TUPLE_NEIGHBOURS;
		nb->level = node->level;
		nb->owner = node->tid;
		fill_slots(bs, node, nb->links);
		writer_add(&w, &nb_tids[i], tup, size);
		CHECK_FOR_INTERRUPTS();
	}
	writer_finish(&w);
	pfree(tup);
	pfree(nb_tids);
}

/* Reading the table --------------------------------------------------------------------------- */

static void
spill_to_disk(BuildState *bs)
{
	ereport(NOTICE,
			(errmsg("hnsw graph no longer fits into maintenance_work_mem after " INT64_FORMAT " tuples", bs->count),
			 errdetail("Building will take significantly more time."),
			 errhint("Increase maintenance_work_mem to speed up builds.")));
	write_graph(bs);
	bs->on_disk = true;
	MemoryContextReset(bs->graph_ctx);
	bs->nodes = NULL;
}

static void
build_callback(Relation index, ItemPointer tid, Datum *values, bool *isnull, bool alive, void *state)
{
	BuildState *bs = (BuildState *) state;
	MemoryContext old;

	if (isnull[0])
		return;
	old = MemoryContextSwitchTo(bs->tmp_ctx);
	if (HnswPrepareValue(bs->info, values[0], bs->value))
	{
		if (bs->on_disk)
			HnswInsertValue(index, bs->info, bs->value, tid);
		else
			insert_in_memory(bs, bs->value, tid);
		bs->indtuples++;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmp_ctx);
	if (!bs->on_disk && bs->memory_used > bs->memory_limit)
		spill_to_disk(bs);
}

static void
check_build_options(Relation index, HnswIndexInfo *info)
{
	if (info->dims < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column does not have dimensions")));
	if (info->dims > info->type->max_dims)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("column cannot have more than %d dimensions for hnsw index", info->type->max_dims)));
	if (info->max_level < 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a node of %d dimensions with m = %d does not fit an hnsw index page", info->dims, info->m),
				 errhint("Use a smaller m.")));
	if (info->ef_construction < 2 * info->m)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ef_construction must be greater than or equal to 2 * m")));
}

IndexBuildResult *
hnswbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result = palloc0(sizeof(IndexBuildResult));
	BuildState	bs;
	double		reltuples;
	MemoryContext build_ctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw build", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(build_ctx);

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));
	memset(&bs, 0, sizeof(bs));
	bs.index = index;
	bs.info = HnswGetIndexInfo(index);
	check_build_options(index, bs.info);
	bs.graph.info = bs.info;
	bs.graph.ctx = &bs;
	bs.graph.visit = memory_visit;
	bs.graph.neighbours = memory_neighbours;
	bs.graph.vector = memory_vector;
	bs.graph.vectors = NULL;
	bs.memory_limit = (Size) maintenance_work_mem * 1024;
	bs.value = palloc(HnswVectorSize(bs.info, NULL));
	bs.graph_ctx = AllocSetContextCreate(build_ctx, "hnsw build graph", ALLOCSET_DEFAULT_SIZES);
	bs.tmp_ctx = AllocSetContextCreate(build_ctx, "hnsw build tuple", ALLOCSET_DEFAULT_SIZES);

	reltuples = table_index_build_scan(heap, index, indexInfo, true, true, build_callback, &bs, NULL);
	if (!bs.on_disk)
		write_graph(&bs);
	if (RelationNeedsWAL(index))
		log_newpage_range(index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(index), true);

	MemoryContextSwitchTo(old);
	result->heap_tuples = reltuples;
	result->index_tuples = bs.indtuples;
	MemoryContextDelete(build_ctx);
	return result;
}

/* An unlogged index's init fork: the meta page of an empty index. */
void
hnswbuildempty(Relation index)
{
	Buffer		buf = ReadBufferExtended(index, INIT_FORKNUM, P_NEW, RBM_NORMAL, NULL);

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	START_CRIT_SECTION();
	HnswInitMetaPage(BufferGetPage(buf), HnswGetIndexInfo(index));
	MarkBufferDirty(buf);
	log_newpage_buffer(buf, true);
	END_CRIT_SECTION();
	UnlockReleaseBuffer(buf);
}
