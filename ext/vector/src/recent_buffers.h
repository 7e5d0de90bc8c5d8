/*
 * recent_buffers.h: per-backend hints of which shared buffer held each block of one relation,
 * so a later read of the block can pin it with ReadRecentBuffer (which checks that the buffer
 * still holds the block) and skip the buffer mapping table's lookup, a hash probe that misses
 * the CPU cache on every block. A hint only: a wrong one costs one failed check, then the
 * ordinary ReadBuffer. Each user keeps one RecentBuffers (a static: one relation at a time; a
 * read of another relation starts the hints afresh); its array lives in TopMemoryContext for
 * the backend's life. Local (temporary-table) buffers are never hinted.
 */
#ifndef STUDYBASE_RECENT_BUFFERS_H
#define STUDYBASE_RECENT_BUFFERS_H

#include "postgres.h"

#include "storage/bufmgr.h"
#include "utils/rel.h"

typedef struct RecentBuffers
{
	RelFileNode node;			/* the relation the hints are for */
	Buffer	   *buffers;		/* by block number; 0 = no hint */
	BlockNumber count;
} RecentBuffers;

/* Pins block blkno of rel (main fork), through the hint when it is right; records the buffer. */
extern Buffer RecentBuffersPin(RecentBuffers *recent, Relation rel, BlockNumber blkno,
							   BufferAccessStrategy strategy);

/* The buffer that last held block blkno of rel, or InvalidBuffer: for addresses to prefetch,
 * never to read without pinning and checking. */
extern Buffer RecentBuffersHint(const RecentBuffers *recent, Relation rel, BlockNumber blkno);

#endif
