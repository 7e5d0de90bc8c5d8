/*
 * ivfvacuum.c: VACUUM for ivfflat indexes. Every list's chain of entry
 * pages is walked; on each page the entries whose heap rows VACUUM reports dead are deleted
 * in place (one generic WAL record per changed page), under a cleanup lock so no scan is
 * reading the page meanwhile. A list's insert hint then moves to the first page that got
 * room, so inserts fill the freed space before adding pages. Pages are never freed or
 * handed to another list, so the chains and the hints stay valid throughout.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "commands/vacuum.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ivfflat.h"

typedef struct VacuumState
{
	Relation	index;
	IndexVacuumInfo *vinfo;
	IndexBulkDeleteResult *stats;
	IndexBulkDeleteCallback callback;
	void	   *callback_state;
} VacuumState;

/* Deletes the dead entries of one page; returns whether any was deleted. */
static bool
vacuum_page(VacuumState *vs, Buffer buf)
{
	Page		page = BufferGetPage(buf);
	OffsetNumber dead[MaxOffsetNumber];
	int			ndead = 0;
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

	for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
	{
		IvfEntry	entry = (IvfEntry) PageGetItem(page, PageGetItemId(page, off));

		if (vs->callback(&entry->heaptid, vs->callback_state))
			dead[ndead++] = off;
	}
	vs->stats->tuples_removed += ndead;
	vs->stats->num_index_tuples += maxoff - ndead;
	if (ndead > 0)
	{
		GenericXLogState *state = GenericXLogStart(vs->index);

		page = GenericXLogRegisterBuffer(state, buf, 0);
		PageIndexMultiDelete(page, dead, ndead);
		GenericXLogFinish(state);
	}
	return ndead > 0;
}

/* Walks one list's chain; returns the first page that got room, or InvalidBlockNumber. */
static BlockNumber
vacuum_list(VacuumState *vs, BlockNumber blkno)
{
	BlockNumber first_freed = InvalidBlockNumber;

	while (blkno != InvalidBlockNumber)
	{
		Buffer		buf = ReadBufferExtended(vs->index, MAIN_FORKNUM, blkno, RBM_NORMAL, vs->vinfo->strategy);
		BlockNumber next;

		LockBufferForCleanup(buf);
		if (vacuum_page(vs, buf) && first_freed == InvalidBlockNumber)
			first_freed = blkno;
		next = IvfPageGetOpaque(BufferGetPage(buf))->next;
		UnlockReleaseBuffer(buf);
		vacuum_delay_point();
		blkno = next;
	}
	return first_freed;
}

IndexBulkDeleteResult *
ivfflatbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
				  IndexBulkDeleteCallback callback, void *callback_state)
{
	Relation	index = info->index;
	IvfIndexInfo *ivf = IvfGetIndexInfo(index);
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "ivfflat vacuum", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	VacuumState vs;
	IvfMetaData meta;
	IvfListDistance *lists;
	char	   *zero;

	if (stats == NULL)
	{
		MemoryContextSwitchTo(old);
		stats = palloc0(sizeof(IndexBulkDeleteResult));
		MemoryContextSwitchTo(ctx);
	}
	vs.index = index;
	vs.vinfo = info;
	vs.stats = stats;
	vs.callback = callback;
	vs.callback_state = callback_state;
	IvfReadMeta(index, &meta);
	lists = palloc(sizeof(IvfListDistance) * meta.lists);
	zero = palloc0(ivf->item_size);
	IvfListDistances(index, ivf, &meta, zero, lists);	/* for the pages; distances unused */
	stats->num_index_tuples = 0;
	for (int i = 0; i < (int) meta.lists; i++)
	{
		BlockNumber first_freed = vacuum_list(&vs, lists[i].head);

		if (first_freed != InvalidBlockNumber)
			IvfSetInsertPage(index, &meta, i, first_freed);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
	return stats;
}

IndexBulkDeleteResult *
ivfflatvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	if (info->analyze_only || stats == NULL)
		return stats;
	stats->num_pages = RelationGetNumberOfBlocks(info->index);
	return stats;
}
