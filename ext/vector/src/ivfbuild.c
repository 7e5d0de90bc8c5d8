/*
 * ivfbuild.c: CREATE INDEX for ivfflat, in three phases (as pg_stat_progress_create_index
 * names them):
 *
 * 1. "performing k-means": sample rows the way ANALYZE does (random blocks, then a reservoir
 *    of rows from them; fixed seeds, so the same table gives the same sample): 50 per list,
 *    at least 10,000 - and find the lists' centres with k-means (ivfkmeans.c). Fewer sampled
 *    rows than lists gives pgvector's NOTICE "ivfflat index created with little data".
 * 2. "assigning tuples": read the whole table, give each row the list of its nearest centre,
 *    and feed (list, entry) to a tuplesort, counting each list's rows.
 * 3. "loading tuples": write the meta page, the list pages (the counts say where each list's
 *    entry pages will start), then every list's entries in list order, each list on pages of
 *    its own, contiguous, chained. Every list gets at least one page, so inserts always have a
 *    chain to append to. The pages are WAL-logged at the end in one sweep (log_newpage_range).
 *
 * An unlogged index's init fork (ivfflatbuildempty) is the index of an empty table: random
 * centres and one empty page per list.
 */
#include "postgres.h"

#include "access/tableam.h"
#include "access/xloginsert.h"
#include "catalog/pg_operator_d.h"
#include "common/pg_prng.h"
#include "catalog/pg_type_d.h"
#include "commands/progress.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/backend_progress.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/sampling.h"
#include "utils/tuplesort.h"

#include "ivfflat.h"

#define IVF_SAMPLES_PER_LIST	50
#define IVF_MIN_SAMPLES			10000
#define IVF_SAMPLE_SEED			0x5EED1F1F

typedef struct BuildState
{
	Relation	heap;
	Relation	index;
	IndexInfo  *index_info;
	IvfIndexInfo *info;
	int			lists;
	char	   *value;			/* the current row's vector, prepared (item_size bytes) */

	/* phase 1 */
	char	   *samples;
	int			nsamples;
	int			target;			/* the reservoir's size */
	uint64		rows_seen;
	pg_prng_state rng;			/* fixed seed: the same table gives the same sample */
	char	   *centers;

	/* phase 2 */
	Tuplesortstate *sort;
	TupleDesc	sort_desc;		/* (list int4, entry bytea) */
	TupleTableSlot *slot;
	int64	   *counts;			/* rows per list */
	double		indtuples;
	MemoryContext tmp_ctx;
} BuildState;

/* Phase 1: the sample and the centres -------------------------------------------------------- */

/* Copies a sampled row's vector to a reservoir slot; false if k-means cannot use it. */
static bool
sample_value(BuildState *bs, Datum value, void *out)
{
	IvfCopyValue(bs->info, value, out);
	return !bs->info->spherical || bs->info->type->normalize(bs->info->dims, out);
}

/*
 * Reservoir sampling over the rows offered (Algorithm R): the first `target` rows fill the
 * reservoir, then row number t (from 0) replaces a random slot with probability target / (t + 1).
 */
static void
sample_callback(Relation index, ItemPointer tid, Datum *values, bool *isnull, bool alive, void *state)
{
	BuildState *bs = (BuildState *) state;
	MemoryContext old;
	int64		slot;

	if (isnull[0])
		return;
	old = MemoryContextSwitchTo(bs->tmp_ctx);
	if (bs->nsamples < bs->target)
		slot = bs->nsamples;
	else
	{
		uint64		pick = pg_prng_uint64_range(&bs->rng, 0, bs->rows_seen);

		slot = pick < (uint64) bs->target ? (int64) pick : -1;
	}
	if (slot >= 0 && sample_value(bs, values[0], bs->value))
	{
		memcpy(bs->samples + (Size) slot * bs->info->item_size, bs->value, bs->info->item_size);
		if (slot == bs->nsamples)
			bs->nsamples++;
	}
	bs->rows_seen += 1;
	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmp_ctx);
}

/* The sample's size, and that it and the centres fit maintenance_work_mem (pgvector's error). */
static int
sample_target(BuildState *bs, BlockNumber nblocks)
{
	double		target = Max((double) bs->lists * IVF_SAMPLES_PER_LIST, IVF_MIN_SAMPLES);
	Size		needed;

	target = Max(1, Min(target, (double) nblocks * MaxHeapTuplesPerPage));
	needed = bs->info->item_size * ((Size) target + bs->lists);
	if (needed / 1024 > (Size) maintenance_work_mem)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("memory required is %zu MB, maintenance_work_mem is %d MB",
						needed / (1024 * 1024) + 1, maintenance_work_mem / 1024)));
	return (int) target;
}

static void
sample_rows(BuildState *bs)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(bs->heap);
	BlockSamplerData sampler;

	bs->target = sample_target(bs, nblocks);
	bs->samples = MemoryContextAllocHuge(CurrentMemoryContext, bs->info->item_size * (Size) bs->target);
	pg_prng_seed(&bs->rng, IVF_SAMPLE_SEED);
	BlockSampler_Init(&sampler, nblocks, bs->target, IVF_SAMPLE_SEED);
	while (BlockSampler_HasMore(&sampler))
	{
		BlockNumber blkno = BlockSampler_Next(&sampler);

		table_index_build_range_scan(bs->heap, bs->index, bs->index_info, false, true, false,
									 blkno, 1, sample_callback, bs, NULL);
	}
}

static void
compute_centers(BuildState *bs)
{
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, IVF_PHASE_KMEANS);
	sample_rows(bs);
	if (bs->nsamples < bs->lists)
		ereport(NOTICE,
				(errmsg("ivfflat index created with little data"),
				 errdetail("This will cause low recall."),
				 errhint("Drop the index until the table has more data.")));
	bs->centers = MemoryContextAllocHuge(CurrentMemoryContext, bs->info->item_size * (Size) bs->lists);
	IvfKmeans(bs->info, bs->samples, bs->nsamples, bs->lists, bs->centers);
	pfree(bs->samples);
	bs->samples = NULL;
}

/* Phase 2: every row to its list -------------------------------------------------------------- */

static int
nearest_center(BuildState *bs, const void *vec)
{
	int			best = 0;
	float		best_d = 0;

	for (int i = 0; i < bs->lists; i++)
	{
		float		d = IvfDistance(bs->info, vec, bs->centers + (Size) i * bs->info->item_size);

		if (i == 0 || d < best_d)
		{
			best = i;
			best_d = d;
		}
	}
	return best;
}

static void
assign_callback(Relation index, ItemPointer tid, Datum *values, bool *isnull, bool alive, void *state)
{
	BuildState *bs = (BuildState *) state;
	MemoryContext old;

	if (isnull[0])
		return;
	old = MemoryContextSwitchTo(bs->tmp_ctx);
	if (IvfPrepareValue(bs->info, values[0], bs->value))
	{
		Size		size = offsetof(IvfEntryData, vec) + bs->info->item_size;
		bytea	   *payload = palloc0(VARHDRSZ + size);
		IvfEntry	entry = (IvfEntry) VARDATA(payload);
		int			list = nearest_center(bs, bs->value);

		SET_VARSIZE(payload, VARHDRSZ + size);
		entry->heaptid = *tid;
		memcpy(entry->vec, bs->value, bs->info->item_size);
		ExecClearTuple(bs->slot);
		bs->slot->tts_values[0] = Int32GetDatum(list);
		bs->slot->tts_isnull[0] = false;
		bs->slot->tts_values[1] = PointerGetDatum(payload);
		bs->slot->tts_isnull[1] = false;
		ExecStoreVirtualTuple(bs->slot);
		tuplesort_puttupleslot(bs->sort, bs->slot);
		bs->counts[list]++;
		bs->indtuples++;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmp_ctx);
}

static double
assign_rows(BuildState *bs)
{
	AttrNumber	key = 1;
	Oid			less = Int4LessOperator;
	Oid			collation = InvalidOid;
	bool		nulls_first = false;
	double		reltuples;

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, IVF_PHASE_ASSIGN);
	bs->sort_desc = CreateTemplateTupleDesc(2);
	TupleDescInitEntry(bs->sort_desc, 1, "list", INT4OID, -1, 0);
	TupleDescInitEntry(bs->sort_desc, 2, "entry", BYTEAOID, -1, 0);
	bs->slot = MakeSingleTupleTableSlot(bs->sort_desc, &TTSOpsVirtual);
	bs->sort = tuplesort_begin_heap(bs->sort_desc, 1, &key, &less, &collation, &nulls_first,
									maintenance_work_mem, NULL, TUPLESORT_NONE);
	bs->counts = palloc0(sizeof(int64) * bs->lists);
	reltuples = table_index_build_scan(bs->heap, bs->index, bs->index_info, true, true,
									   assign_callback, bs, NULL);
	tuplesort_performsort(bs->sort);
	ExecDropSingleTupleTableSlot(bs->slot);
	return reltuples;
}

/* Phase 3: the pages --------------------------------------------------------------------------- */

/* Appends page as block `expected` of the fork; logs it when asked (an init fork). */
static void
write_new_block(Relation index, ForkNumber fork, Page page, BlockNumber expected, bool log)
{
	Buffer		buf = ReadBufferExtended(index, fork, P_NEW, RBM_NORMAL, NULL);

	if (BufferGetBlockNumber(buf) != expected)
		elog(ERROR, "ivfflat build: expected to write block %u, got %u", expected, BufferGetBlockNumber(buf));
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	START_CRIT_SECTION();
	memcpy(BufferGetPage(buf), page, BLCKSZ);
	MarkBufferDirty(buf);
	if (log)
		log_newpage_buffer(buf, true);
	END_CRIT_SECTION();
	UnlockReleaseBuffer(buf);
}

static void
add_item(Page page, const void *item, Size size)
{
	if (PageAddItem(page, (Item) item, size, InvalidOffsetNumber, false, false) == InvalidOffsetNumber)
		elog(ERROR, "ivfflat build: an item does not fit the page planned for it");
}

typedef struct PageWriter
{
	Relation	index;
	ForkNumber	fork;
	bool		log;
	BlockNumber next_blkno;
	PGAlignedBlock page;
} PageWriter;

static void
flush_page(PageWriter *w)
{
	write_new_block(w->index, w->fork, w->page.data, w->next_blkno++, w->log);
}

static void
write_meta_and_lists(BuildState *bs, PageWriter *w, const IvfMetaData *meta, int entries_per_page)
{
	Size		size = IVF_LIST_SIZE(bs->info->item_size);
	IvfList		tup = palloc0(size);
	BlockNumber head = 1 + meta->list_pages;

	IvfInitPage(w->page.data, IVF_PAGE_META);
	memcpy(IvfPageGetMeta(w->page.data), meta, sizeof(IvfMetaData));
	((PageHeader) w->page.data)->pd_lower = (char *) IvfPageGetMeta(w->page.data) + sizeof(IvfMetaData) - w->page.data;
	flush_page(w);
	for (int i = 0; i < bs->lists; i++)
	{
		BlockNumber npages = Max(1, (bs->counts[i] + entries_per_page - 1) / entries_per_page);

		if (i % meta->lists_per_page == 0)
			IvfInitPage(w->page.data, IVF_PAGE_LISTS);
		tup->head = head;
		tup->insert_page = head + npages - 1;
		memcpy(tup->center, bs->centers + (Size) i * bs->info->item_size, bs->info->item_size);
		add_item(w->page.data, tup, size);
		head += npages;
		if ((i + 1) % meta->lists_per_page == 0 || i + 1 == bs->lists)
			flush_page(w);
	}
	pfree(tup);
}

/*
 * The next sorted entry and its list, copied into entry (IVF_ENTRY_SIZE bytes: the sort may
 * have stored it shorter and unaligned); false at the end.
 */
static bool
next_sorted(BuildState *bs, TupleTableSlot *slot, int *list, IvfEntry entry)
{
	bool		isnull;
	struct varlena *payload;

	if (bs->sort == NULL || !tuplesort_gettupleslot(bs->sort, true, false, slot, NULL))
		return false;
	*list = DatumGetInt32(slot_getattr(slot, 1, &isnull));
	payload = (struct varlena *) DatumGetPointer(slot_getattr(slot, 2, &isnull));
	memcpy(entry, VARDATA_ANY(payload), VARSIZE_ANY_EXHDR(payload));
	return true;
}

static void
write_entries(BuildState *bs, PageWriter *w, int entries_per_page)
{
	Size		size = IVF_ENTRY_SIZE(bs->info->item_size);
	TupleTableSlot *slot = bs->sort ? MakeSingleTupleTableSlot(bs->sort_desc, &TTSOpsMinimalTuple) : NULL;
	int			list;
	IvfEntry	entry = palloc0(size);
	bool		more = next_sorted(bs, slot, &list, entry);
	int64		done = 0;

	for (int i = 0; i < bs->lists; i++)
	{
		int			on_page = 0;

		IvfInitPage(w->page.data, IVF_PAGE_ENTRIES);
		for (; more && list == i; more = next_sorted(bs, slot, &list, entry))
		{
			if (on_page == entries_per_page)
			{
				IvfPageGetOpaque(w->page.data)->next = w->next_blkno + 1;
				flush_page(w);
				IvfInitPage(w->page.data, IVF_PAGE_ENTRIES);
				on_page = 0;
			}
			add_item(w->page.data, entry, size);
			on_page++;
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, ++done);
		}
		flush_page(w);
		CHECK_FOR_INTERRUPTS();
	}
	if (slot != NULL)
		ExecDropSingleTupleTableSlot(slot);
}

/* Writes the whole index into a fork that is still empty. */
static void
write_index(BuildState *bs, ForkNumber fork, bool log_each_page)
{
	PageWriter *w = palloc0(sizeof(PageWriter));
	IvfMetaData meta;
	int			entries_per_page = IvfItemsPerPage(IVF_ENTRY_SIZE(bs->info->item_size));

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, IVF_PHASE_LOAD);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, (int64) bs->indtuples);
	memset(&meta, 0, sizeof(meta));
	meta.magic = IVF_MAGIC;
	meta.version = IVF_VERSION;
	meta.dims = bs->info->dims;
	meta.lists = bs->lists;
	meta.lists_per_page = IvfItemsPerPage(IVF_LIST_SIZE(bs->info->item_size));
	meta.list_pages = (bs->lists + meta.lists_per_page - 1) / meta.lists_per_page;
	w->index = bs->index;
	w->fork = fork;
	w->log = log_each_page;
	w->next_blkno = 0;
	write_meta_and_lists(bs, w, &meta, entries_per_page);
	write_entries(bs, w, entries_per_page);
	pfree(w);
}

/* The entry points ------------------------------------------------------------------------------ */

static void
init_build_state(BuildState *bs, Relation heap, Relation index, IndexInfo *index_info)
{
	memset(bs, 0, sizeof(*bs));
	bs->heap = heap;
	bs->index = index;
	bs->index_info = index_info;
	bs->info = IvfGetIndexInfo(index);
	IvfCheckColumn(bs->info);
	bs->lists = bs->info->lists;
	bs->value = palloc(bs->info->item_size);
	bs->tmp_ctx = AllocSetContextCreate(CurrentMemoryContext, "ivfflat build tuple", ALLOCSET_DEFAULT_SIZES);
}

IndexBuildResult *
ivfflatbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result = palloc0(sizeof(IndexBuildResult));
	MemoryContext build_ctx = AllocSetContextCreate(CurrentMemoryContext, "ivfflat build", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(build_ctx);
	BuildState	bs;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));
	init_build_state(&bs, heap, index, indexInfo);
	compute_centers(&bs);
	result->heap_tuples = assign_rows(&bs);
	write_index(&bs, MAIN_FORKNUM, false);
	tuplesort_end(bs.sort);
	if (RelationNeedsWAL(index))
		log_newpage_range(index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(index), true);
	result->index_tuples = bs.indtuples;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(build_ctx);
	return result;
}

/* An unlogged index's init fork: the index of an empty table. */
void
ivfflatbuildempty(Relation index)
{
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "ivfflat build", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	BuildState	bs;

	init_build_state(&bs, NULL, index, NULL);
	bs.centers = palloc(bs.info->item_size * (Size) bs.lists);
	IvfKmeans(bs.info, NULL, 0, bs.lists, bs.centers);
	bs.counts = palloc0(sizeof(int64) * bs.lists);
	write_index(&bs, INIT_FORKNUM, true);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
}
