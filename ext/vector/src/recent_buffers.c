/*
 * recent_buffers.c: the buffer hints described in recent_buffers.h, used by the hnsw graph
 * reader (hnswutils.c) and the exact top-N scan (vector_topn.c).
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "recent_buffers.h"

#define RECENT_MAX_BLOCKS	(1 << 20)

/* The hint slot of blkno, after switching the hints to rel if they were for another relation. */
static Buffer *
recent_slot(RecentBuffers *recent, Relation rel, BlockNumber blkno)
{
	if (blkno >= RECENT_MAX_BLOCKS)
		return NULL;
	if (recent->buffers == NULL || !RelFileNodeEquals(recent->node, rel->rd_node))
	{
		if (recent->buffers != NULL)
			memset(recent->buffers, 0, sizeof(Buffer) * recent->count);
		recent->node = rel->rd_node;
	}
	if (blkno >= recent->count)
	{
		BlockNumber count = Max(Max(recent->count * 2, blkno + 1), 1024);
		Buffer	   *bigger = MemoryContextAllocZero(TopMemoryContext, sizeof(Buffer) * count);

		if (recent->buffers != NULL)
		{
			memcpy(bigger, recent->buffers, sizeof(Buffer) * recent->count);
			pfree(recent->buffers);
		}
		recent->buffers = bigger;
		recent->count = count;
	}
	return &recent->buffers[blkno];
}

Buffer
RecentBuffersPin(RecentBuffers *recent, Relation rel, BlockNumber blkno,
				 BufferAccessStrategy strategy)
{
	Buffer	   *slot = recent_slot(recent, rel, blkno);
	Buffer		buf;

	if (slot != NULL && *slot != InvalidBuffer &&
		ReadRecentBuffer(rel->rd_node, MAIN_FORKNUM, blkno, *slot))
		return *slot;
	buf = ReadBufferExtended(rel, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
	if (slot != NULL && !BufferIsLocal(buf))
		*slot = buf;
	return buf;
}

Buffer
RecentBuffersHint(const RecentBuffers *recent, Relation rel, BlockNumber blkno)
{
	if (recent->buffers == NULL || !RelFileNodeEquals(recent->node, rel->rd_node) ||
		blkno >= recent->count || recent->buffers[blkno] <= 0)
		return InvalidBuffer;
	return recent->buffers[blkno];
}
