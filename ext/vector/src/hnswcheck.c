/*
 * hnswcheck.c: hnsw_link_check(index), a consistency check of an hnsw index's graph for tests
 * and for operators who suspect a problem: every neighbour slot should point at a node that
 * exists, and the distance the slot records (which inserts decide back-links with) should be
 * the distance between the two nodes' vectors; a node whose slots are in a neighbour tuple
 * (split_nodes counts them) should find it, and no neighbour tuple should outlive its node.
 * Holds the index's update lock exclusively while it reads, so no insert or VACUUM relink runs
 * meanwhile. Returns counts; changes nothing.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/rel.h"

#include "hnsw.h"

typedef struct CheckCounts
{
	int64		nodes;
	int64		links;
	int64		wrong_distances;
	int64		dangling;		/* slots pointing at no node, nodes missing their neighbour tuple */
	int64		split_nodes;	/* nodes whose slots are in a neighbour tuple */
	int64		neighbour_tuples;	/* as many as split_nodes, unless some lost their node */
} CheckCounts;

static bool
same_distance(float stored, float actual)
{
	return fabsf(stored - actual) <= 1e-5f * Max(1.0f, fabsf(actual));
}

/* Checks every slot of one node (its element tuple: a copy, off its page). */
static void
check_node(HnswGraph *g, Relation index, uint64 id, HnswElementTuple node, CheckCounts *counts)
{
	HnswLinkData *links;
	int			level;
	Size		size = HnswSlotsSize(g->info->m, node->level);
	HnswLinkData *copy = palloc(size);
	Buffer		buf = HnswLockLinks(index, g->info, id, BUFFER_LOCK_SHARE, &links, &level);

	counts->nodes++;
	if (HnswSlotsTid(g->info, node) != NULL)
		counts->split_nodes++;
	if (!BufferIsValid(buf))
	{
		counts->dangling++;
		return;
	}
	memcpy(copy, links, size);
	UnlockReleaseBuffer(buf);
	for (int i = 0; i < HnswLinkCount(g->info->m, node->level); i++)
	{
		HnswCandidate c;

		if (!ItemPointerIsValid(&copy[i].tid))
			continue;
		counts->links++;
		if (!g->visit(g, HnswTidToId(&copy[i].tid), HnswElementVector(node), &c))
			counts->dangling++;
		else if (!same_distance(copy[i].dist, c.dist))
			counts->wrong_distances++;
	}
	pfree(copy);
}

static void
check_block(HnswGraph *g, Relation index, BlockNumber blkno, CheckCounts *counts)
{
	PGAlignedBlock copy;
	Buffer		buf = ReadBuffer(index, blkno);

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	memcpy(copy.data, BufferGetPage(buf), BLCKSZ);
	UnlockReleaseBuffer(buf);
	if (PageIsNew(copy.data) || HnswPageGetOpaque(copy.data)->flags != HNSW_PAGE_NODES)
		return;
	for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(copy.data); off++)
	{
		uint64		id = ((uint64) blkno << 16) | off;
		HnswElementTuple node = HnswElementOnPage(copy.data, id);

		if (node != NULL)
			check_node(g, index, id, node, counts);
		else if (HnswNeighboursAt(copy.data, off) != NULL)
			counts->neighbour_tuples++;
	}
}

PG_FUNCTION_INFO_V1(hnsw_link_check);
Datum
hnsw_link_check(PG_FUNCTION_ARGS)
{
	Relation	index = index_open(PG_GETARG_OID(0), AccessShareLock);
	HnswGraph	g;
	CheckCounts counts = {0};
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	if (index->rd_indam->ambuild != hnswbuild)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an hnsw index", RelationGetRelationName(index))));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "hnsw_link_check must return a record");
	HnswCheckVersion(index);
	HnswInitDiskGraph(&g, index, HnswGetIndexInfo(index));
	LockPage(index, HNSW_UPDATE_LOCK, ExclusiveLock);
	for (BlockNumber blkno = 1; blkno < RelationGetNumberOfBlocks(index); blkno++)
	{
		check_block(&g, index, blkno, &counts);
		CHECK_FOR_INTERRUPTS();
	}
	UnlockPage(index, HNSW_UPDATE_LOCK, ExclusiveLock);
	index_close(index, AccessShareLock);
	values[0] = Int64GetDatum(counts.nodes);
	values[1] = Int64GetDatum(counts.links);
	values[2] = Int64GetDatum(counts.wrong_distances);
	values[3] = Int64GetDatum(counts.dangling);
	values[4] = Int64GetDatum(counts.split_nodes);
	values[5] = Int64GetDatum(counts.neighbour_tuples);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
