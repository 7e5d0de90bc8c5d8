/*
 * hnswbuild.c: CREATE INDEX for hnsw. Reads the table and builds the graph in memory
 * (hnswbuildgraph.c: the same search and selection code as inserts, on arrays instead of
 * pages), then writes every node to pages in one sequential pass and WAL-logs the finished
 * pages at once. With parallel workers (hnswbuildparallel.c) the leader and the workers read
 * the table together into one graph in shared memory; the leader alone writes the pages.
 *
 * If the graph outgrows maintenance_work_mem, what exists is written out and the remaining
 * rows are inserted like ordinary inserts (slower, same result): a serial build carries on
 * with the rows it reads next; a parallel one, whose workers stop adding, ends its scan, then
 * the leader reads the table again and inserts every row the graph does not hold. All
 * memory lives in a context deleted before returning.
 */
#include "postgres.h"

#include "access/tableam.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnswbuild.h"

typedef struct BuildState
{
	Relation	index;
	HnswIndexInfo *info;
	HnswBuildGraph bg;
	bool		serial;			/* when the graph is full: write it, insert the rest on pages */
	bool		on_disk;		/* the graph is written; insert the rest through pages */
	double		indtuples;
	ItemPointerData *in_graph;	/* the heap TIDs the graph holds, sorted (insert_missing) */
	int64		nin_graph;
	MemoryContext tmp_ctx;
} BuildState;

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

/* Where each node goes: its element tuple (tids) and, if split, its neighbour tuple. */
typedef struct GraphPlacement
{
	ItemPointerData *tids;
	ItemPointerData *nb_tids;	/* invalid for a node whose slots fit its element tuple */
} GraphPlacement;

/*
 * Gives every node its TID, and every node whose slots do not fit its element tuple the TID
 * of its neighbour tuple: element tuples fill pages in node order from block 1, then
 * neighbour tuples fill the pages after them.
 */
static void
assign_tids(HnswBuildGraph *bg, GraphPlacement *pl)
{
	PGAlignedBlock scratch;
	TidCursor	c;
	int64		count = bg->arena->count;

	HnswInitPage(scratch.data, HNSW_PAGE_NODES);
	c.capacity = PageGetExactFreeSpace(scratch.data);
	c.next = HNSW_METAPAGE_BLKNO + 1;
	c.blkno = InvalidBlockNumber;
	for (int64 i = 0; i < count; i++)
	{
		HnswBuildNode *node = HnswBuildNodeAt(bg->arena, i);

		place_in_order(&c, HnswElementSize(bg->info, node->level, HnswBuildNodeData(bg->arena, node)), &pl->tids[i]);
	}
	c.blkno = InvalidBlockNumber;
	for (int64 i = 0; i < count; i++)
	{
		HnswBuildNode *node = HnswBuildNodeAt(bg->arena, i);

		ItemPointerSetInvalid(&pl->nb_tids[i]);
		if (!HnswLinksInline(bg->info, node->level, HnswBuildNodeData(bg->arena, node)))
			place_in_order(&c, HnswNeighbourSize(bg->info->m, node->level), &pl->nb_tids[i]);
	}
}

/* A node's slots, with the TIDs the nodes were given. */
static void
fill_slots(HnswBuildGraph *bg, GraphPlacement *pl, HnswBuildNode *node, HnswLinkData *out)
{
	int			nlinks = HnswLinkCount(bg->info->m, node->level);
	int32	   *links;
	float	   *dists;
	bool	   *pruned;

	HnswBuildNodeSlots(bg, node, &links, &dists, &pruned);
	for (int i = 0; i < nlinks; i++)
	{
		if (links[i] >= 0)
		{
			out[i].tid = pl->tids[links[i]];
			out[i].pruned = pruned[i];
			out[i].unused = 0;
			out[i].dist = dists[i];
		}
		else
			ItemPointerSetInvalid(&out[i].tid);
	}
}

/* Node n's element tuple (tup: zeroed, large enough), pointing at its neighbour tuple if any. */
static void
fill_element(HnswBuildGraph *bg, GraphPlacement *pl, int64 n, HnswElementTuple tup)
{
	HnswBuildNode *node = HnswBuildNodeAt(bg->arena, n);
	const char *value = HnswBuildNodeData(bg->arena, node);
	const ItemPointerData *nb_tid = &pl->nb_tids[n];

	tup->kind = HNSW_TUPLE_ELEMENT;
	tup->level = node->level;
	tup->nheaptids = node->nheaptids;
	tup->flags = ItemPointerIsValid(nb_tid) ? HNSW_ELEMENT_SPLIT : 0;
	memcpy(tup->heaptids, node->heaptids, sizeof(ItemPointerData) * node->nheaptids);
	memcpy(HnswElementVector(tup), value, HnswValueSize(bg->info, value));
	if (ItemPointerIsValid(nb_tid))
		*HnswSlotsTid(bg->info, tup) = *nb_tid;
	else
		fill_slots(bg, pl, node, HnswInlineLinks(bg->info, tup));
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
write_meta(Relation index, HnswBuildGraph *bg, GraphPlacement *pl)
{
	PGAlignedBlock page;
	HnswMetaData *meta;

	HnswInitMetaPage(page.data, bg->info);
	meta = HnswPageGetMeta(page.data);
	if (bg->arena->count > 0)
	{
		meta->entry = pl->tids[bg->arena->entry];
		meta->entry_level = bg->arena->entry_level;
	}
	write_new_block(index, page.data, HNSW_METAPAGE_BLKNO);
}

/* Writes the meta page, every node's element tuple, then the neighbour tuples. */
static void
write_graph(Relation index, HnswBuildGraph *bg)
{
	int64		count = bg->arena->count;
	char	   *tup = palloc(HnswMaxTupleSize());
	GraphPlacement pl;
	PageWriter	w;

	pl.tids = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(ItemPointerData) * Max(count, 1));
	pl.nb_tids = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(ItemPointerData) * Max(count, 1));
	assign_tids(bg, &pl);
	write_meta(index, bg, &pl);
	w.index = index;
	w.current = InvalidBlockNumber;
	for (int64 i = 0; i < count; i++)
	{
		HnswBuildNode *node = HnswBuildNodeAt(bg->arena, i);
		Size		size = HnswElementSize(bg->info, node->level, HnswBuildNodeData(bg->arena, node));

		memset(tup, 0, size);
		fill_element(bg, &pl, i, (HnswElementTuple) tup);
		writer_add(&w, &pl.tids[i], tup, size);
		CHECK_FOR_INTERRUPTS();
	}
	for (int64 i = 0; i < count; i++)
	{
		HnswBuildNode *node = HnswBuildNodeAt(bg->arena, i);
		HnswNeighbourTuple nb = (HnswNeighbourTuple) tup;
		Size		size = HnswNeighbourSize(bg->info->m, node->level);

		if (!ItemPointerIsValid(&pl.nb_tids[i]))
			continue;
		memset(tup, 0, size);
		nb->kind = HNSW_TUPLE_NEIGHBOURS;
		nb->level = node->level;
		nb->owner = pl.tids[i];
		fill_slots(bg, &pl, node, nb->links);
		writer_add(&w, &pl.nb_tids[i], tup, size);
		CHECK_FOR_INTERRUPTS();
	}
	writer_finish(&w);
	pfree(tup);
	pfree(pl.tids);
	pfree(pl.nb_tids);
}

/* Reading the table --------------------------------------------------------------------------- */

static void
notice_graph_full(HnswBuildGraph *bg)
{
	ereport(NOTICE,
			(errmsg("hnsw graph no longer fits into maintenance_work_mem after " INT64_FORMAT " tuples", bg->arena->count),
			 errdetail("Building will take significantly more time."),
			 errhint("Increase maintenance_work_mem to speed up builds.")));
}

/* A serial build's graph is full: write it, and insert what follows through pages. */
static void
spill_to_disk(BuildState *bs)
{
	notice_graph_full(&bs->bg);
	write_graph(bs->index, &bs->bg);
	bs->on_disk = true;
	pfree(bs->bg.arena);
	bs->bg.arena = NULL;
}

static void
build_callback(Relation index, ItemPointer tid, Datum *values, bool *isnull, bool alive, void *state)
{
	BuildState *bs = (BuildState *) state;
	MemoryContext old;
	void	   *value;

	if (isnull[0])
		return;
	old = MemoryContextSwitchTo(bs->tmp_ctx);
	if ((value = HnswPrepareValue(bs->info, values[0])) != NULL)
	{
		bool		added = !bs->on_disk && HnswBuildAdd(&bs->bg, value, tid);

		if (!added && bs->serial)
		{
			if (!bs->on_disk)
			{
				MemoryContextSwitchTo(old);
				spill_to_disk(bs);
				MemoryContextSwitchTo(bs->tmp_ctx);
			}
			HnswInsertValue(index, bs->info, value, tid);
			added = true;
		}
		/* a parallel build's full graph leaves the row to the leader's second pass */
		if (added)
			bs->indtuples++;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmp_ctx);
}

static void
init_build_state(BuildState *bs, Relation index, HnswIndexInfo *info)
{
	memset(bs, 0, sizeof(*bs));
	bs->index = index;
	bs->info = info;
	bs->tmp_ctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw build tuple", ALLOCSET_DEFAULT_SIZES);
}

/*
 * One participant of a parallel build (the leader or a worker): reads its share of the table
 * (scan: a parallel scan) into the shared graph in arena. Returns the rows read; *indtuples
 * gets the rows added.
 */
double
HnswBuildScanInto(Relation heap, Relation index, IndexInfo *indexInfo, HnswBuildArena *arena,
				  TableScanDesc scan, bool progress, double *indtuples)
{
	BuildState	bs;
	double		reltuples;

	init_build_state(&bs, index, HnswGetIndexInfo(index));
	HnswBuildGraphAttach(&bs.bg, arena, bs.info);
	reltuples = table_index_build_scan(heap, index, indexInfo, true, progress, build_callback, &bs, scan);
	*indtuples = bs.indtuples;
	MemoryContextDelete(bs.tmp_ctx);
	return reltuples;
}

static int
compare_tids(const void *a, const void *b)
{
	return ItemPointerCompare((ItemPointer) a, (ItemPointer) b);
}

/* The heap TIDs a graph holds, sorted, for insert_missing_callback. */
static void
collect_graph_tids(BuildState *bs)
{
	HnswBuildArena *arena = bs->bg.arena;
	int64		n = 0;

	for (int64 i = 0; i < arena->count; i++)
		n += HnswBuildNodeAt(arena, i)->nheaptids;
	bs->in_graph = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(ItemPointerData) * Max(n, 1));
	n = 0;
	for (int64 i = 0; i < arena->count; i++)
	{
		HnswBuildNode *node = HnswBuildNodeAt(arena, i);

		memcpy(&bs->in_graph[n], node->heaptids, sizeof(ItemPointerData) * node->nheaptids);
		n += node->nheaptids;
	}
	qsort(bs->in_graph, n, sizeof(ItemPointerData), compare_tids);
	bs->nin_graph = n;
}

/* The second pass of a parallel build whose graph filled: inserts the rows it left out. */
static void
insert_missing_callback(Relation index, ItemPointer tid, Datum *values, bool *isnull, bool alive, void *state)
{
	BuildState *bs = (BuildState *) state;
	MemoryContext old;
	void	   *value;

	if (isnull[0] || bsearch(tid, bs->in_graph, bs->nin_graph, sizeof(ItemPointerData), compare_tids) != NULL)
		return;
	old = MemoryContextSwitchTo(bs->tmp_ctx);
	if ((value = HnswPrepareValue(bs->info, values[0])) != NULL)
	{
		HnswInsertValue(index, bs->info, value, tid);
		bs->indtuples++;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmp_ctx);
}

/* Builds with parallel workers; false (nothing done) if none could be started. */
static bool
build_parallel(Relation heap, Relation index, IndexInfo *indexInfo, BuildState *bs, int nworkers,
			   double *reltuples)
{
	HnswParallelBuild *pb = HnswParallelBegin(heap, index, indexInfo, bs->info, nworkers);
	bool		full;

	if (pb == NULL)
		return false;
	HnswBuildGraphAttach(&bs->bg, HnswParallelArena(pb), bs->info);
	*reltuples = HnswParallelScan(pb, &bs->indtuples);
	full = bs->bg.arena->full;
	if (full)
	{
		notice_graph_full(&bs->bg);
		collect_graph_tids(bs);
	}
	write_graph(index, &bs->bg);
	HnswParallelEnd(pb);
	bs->bg.arena = NULL;
	if (full)
		*reltuples = table_index_build_scan(heap, index, indexInfo, true, true, insert_missing_callback, bs, NULL);
	return true;
}

static void
build_serial(Relation heap, Relation index, IndexInfo *indexInfo, BuildState *bs, double *reltuples)
{
	HnswBuildGraphAttach(&bs->bg, HnswBuildLocalArena((Size) maintenance_work_mem * 1024, bs->info), bs->info);
	bs->bg.limit = (Size) maintenance_work_mem * 1024;
	bs->serial = true;
	*reltuples = table_index_build_scan(heap, index, indexInfo, true, true, build_callback, bs, NULL);
	if (!bs->on_disk)
		write_graph(index, &bs->bg);
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
	int			nworkers;
	MemoryContext build_ctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw build", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(build_ctx);

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));
	check_build_options(index, HnswGetIndexInfo(index));
	init_build_state(&bs, index, HnswGetIndexInfo(index));

	nworkers = HnswParallelWorkersFor(heap, index);
	if (nworkers == 0 || !build_parallel(heap, index, indexInfo, &bs, nworkers, &reltuples))
	{
		HnswSetLastBuildWorkers(0);
		build_serial(heap, index, indexInfo, &bs, &reltuples);
	}
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
