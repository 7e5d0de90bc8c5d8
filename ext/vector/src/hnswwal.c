/*
 * hnswwal.c: writing small changes to hnsw pages with WAL records we build ourselves.
 *
 * GenericXLogFinish finds what changed on a page by comparing the whole old and new page byte
 * by byte (most of an insert's instructions went there: ~20 pages per insert). An insert
 * knows exactly which bytes it changes (a node's neighbour slots, a heap TID, a new tuple),
 * so it writes them here as a generic WAL record (resource manager RM_GENERIC_ID) whose delta
 * is just those byte ranges, in the layout the server's generic_redo applies: for each range,
 * its offset and length (two uint16) then its bytes. Replay and replicas need nothing of ours.
 * Unlogged and temporary indexes get the change without WAL.
 */
#include "postgres.h"

#include "access/rmgr.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "utils/rel.h"

#include "hnsw.h"

/*
 * Copies each range's bytes into the page of buf (pinned and exclusively locked by the
 * caller), marks it dirty and logs exactly those ranges, all in one critical section.
 */
void
HnswWritePage(Relation index, Buffer buf, const HnswByteRange *ranges, int n)
{
	Page		page = BufferGetPage(buf);
	bool		logged = RelationNeedsWAL(index);
	uint16		headers[HNSW_MAX_RANGES][2];

	Assert(n > 0 && n <= HNSW_MAX_RANGES);
	if (logged)
		XLogBeginInsert();
	START_CRIT_SECTION();
	for (int i = 0; i < n; i++)
		memcpy(page + ranges[i].offset, ranges[i].data, ranges[i].length);
	MarkBufferDirty(buf);
	if (logged)
	{
		XLogRecPtr	lsn;

		XLogRegisterBuffer(0, buf, REGBUF_STANDARD);
		for (int i = 0; i < n; i++)
		{
			headers[i][0] = ranges[i].offset;
			headers[i][1] = ranges[i].length;
			XLogRegisterBufData(0, (char *) headers[i], sizeof(headers[i]));
			XLogRegisterBufData(0, page + ranges[i].offset, ranges[i].length);
		}
		lsn = XLogInsert(RM_GENERIC_ID, 0);
		PageSetLSN(page, lsn);	/* a macro that reads its argument twice */
	}
	END_CRIT_SECTION();
}

/* The range of a page that a pointer into it and a length cover. */
HnswByteRange
HnswRangeOf(Page page, const void *start, Size length, const void *data)
{
	HnswByteRange r;

	Assert((const char *) start >= (const char *) page &&
		   (const char *) start + length <= (const char *) page + BLCKSZ);
	r.offset = (uint16) ((const char *) start - (const char *) page);
	r.length = (uint16) length;
	r.data = data;
	return r;
}
