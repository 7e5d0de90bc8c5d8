/*
 * ivfinsert.c: inserting one row into a built ivfflat index.
 *
 * The row goes to the list whose centre is nearest (the centres never move after the build).
 * Its entry is added to the first page with room, starting from the list's insert hint and
 * following the chain; at the end of the chain a new page is added and linked from the last
 * one in one generic WAL record (both pages), so a crash leaves either both or neither. Only
 * one buffer is locked at a time, except the last page while the new one is linked (a new
 * page nobody else can reach yet), so inserts, scans and VACUUM cannot deadlock. The hint is
 * then moved forward.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ivfflat.h"

/* Adds a new page with the entry after `last` (locked exclusively); returns its number. */
static BlockNumber
append_page(Relation index, Buffer last, IvfEntry entry, Size size)
{
	Buffer		buf;
	GenericXLogState *state;
	Page		page;
	BlockNumber blkno;

	LockRelationForExtension(index, ExclusiveLock);
	buf = ReadBuffer(index, P_NEW);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	UnlockRelationForExtension(index, ExclusiveLock);
	blkno = BufferGetBlockNumber(buf);

	state = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(state, buf, GENERIC_XLOG_FULL_IMAGE);
	IvfInitPage(page, IVF_PAGE_ENTRIES);
	if (PageAddItem(page, (Item) entry, size, InvalidOffsetNumber, false, false) == InvalidOffsetNumber)
		elog(ERROR, "ivfflat: an entry does not fit an empty page of \"%s\"", RelationGetRelationName(index));
	page = GenericXLogRegisterBuffer(state, last, 0);
	IvfPageGetOpaque(page)->next = blkno;
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
	return blkno;
}

/* Adds the entry to the list whose pages start (for inserts) at blkno; returns the page used. */
static BlockNumber
add_entry(Relation index, BlockNumber blkno, IvfEntry entry, Size size)
{
	for (;;)
	{
		Buffer		buf = ReadBuffer(index, blkno);
		Page		page;
		BlockNumber next;

		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		page = BufferGetPage(buf);
		if (PageGetFreeSpace(page) >= size)
		{
			GenericXLogState *state = GenericXLogStart(index);

			page = GenericXLogRegisterBuffer(state, buf, 0);
			if (PageAddItem(page, (Item) entry, size, InvalidOffsetNumber, false, false) == InvalidOffsetNumber)
				elog(ERROR, "ivfflat: failed to add an entry to block %u of \"%s\"", blkno, RelationGetRelationName(index));
			GenericXLogFinish(state);
			UnlockReleaseBuffer(buf);
			return blkno;
		}
		next = IvfPageGetOpaque(page)->next;
		if (next == InvalidBlockNumber)
		{
			blkno = append_page(index, buf, entry, size);
			UnlockReleaseBuffer(buf);
			return blkno;
		}
		UnlockReleaseBuffer(buf);
		blkno = next;
	}
}

static void
insert_value(Relation index, IvfIndexInfo *info, const void *vec, ItemPointer heap_tid)
{
	IvfMetaData meta;
	IvfListDistance *lists;
	int			nearest = 0;
	Size		size = IVF_ENTRY_SIZE(info->item_size);
	IvfEntry	entry = palloc0(size);
	BlockNumber used;

	IvfReadMeta(index, &meta);
	lists = palloc(sizeof(IvfListDistance) * meta.lists);
	IvfListDistances(index, info, &meta, vec, lists);
	for (int i = 1; i < (int) meta.lists; i++)
		if (lists[i].dist < lists[nearest].dist)
			nearest = i;
	entry->heaptid = *heap_tid;
	memcpy(entry->vec, vec, info->item_size);
	used = add_entry(index, lists[nearest].insert_page, entry, size);
	if (used != lists[nearest].insert_page)
		IvfSetInsertPage(index, &meta, nearest, used);
}

bool
ivfflatinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
			  Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
			  IndexInfo *indexInfo)
{
	IvfIndexInfo *info;
	MemoryContext ctx;
	MemoryContext old;
	char	   *vec;

	if (isnull[0])
		return false;
	info = IvfGetIndexInfo(index);
	ctx = AllocSetContextCreate(CurrentMemoryContext, "ivfflat insert", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(ctx);
	vec = palloc(info->item_size);
	if (IvfPrepareValue(info, values[0], vec))
		insert_value(index, info, vec, heap_tid);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
	return false;
}
