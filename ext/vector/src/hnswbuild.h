/*
 * hnswbuild.h: what the files of CREATE INDEX for hnsw share (not the rest of the index):
 * the graph built in memory (hnswbuildgraph.c), which lives either in the backend's memory
 * (a serial build) or in a dynamic shared memory segment that the leader and its parallel
 * workers fill together (hnswbuildparallel.c), and the build's state (hnswbuild.c).
 *
 * The graph is one arena: node data (vector, then slots) is allocated from its front, node
 * headers (of one size per build) from its end, so node n's header is at a fixed place and nothing holds a pointer:
 * shared, each process maps the segment at its own address. Node numbers are dense from 0,
 * in the order nodes were added; the pages are written in that order.
 */
#ifndef STUDYBASE_HNSWBUILD_H
#define STUDYBASE_HNSWBUILD_H

#include "postgres.h"

#include "access/relscan.h"
#include "nodes/execnodes.h"
#include "storage/lwlock.h"
#include "storage/spin.h"

#include "hnsw.h"

/*
 * A node's header. Under cosine on vector, the node's half-precision copy follows it (at
 * MAXALIGN(sizeof(HnswBuildNode))), which the build's searches read instead of the value
 * (HnswHalfSearchInfo): at a place computed from the node's number, so a search can start
 * loading it before knowing anything else of the node. At data: the value (padded to 4
 * bytes), then its slots, as HnswLinkData's with node numbers instead of TIDs, in three
 * arrays (int32 numbers, float distances, bool pruned flags) so that a search, which reads
 * only the numbers, touches few cache lines.
 */
typedef struct HnswBuildNode
{
	uint64		data;			/* offset of the node's vector and slots in the arena */
	LWLock		lock;			/* shared graph: guards the slots and the heap TIDs */
	uint8		level;
	uint8		nheaptids;
	ItemPointerData heaptids[HNSW_MAX_HEAPTIDS];
} HnswBuildNode;

/* The graph's arena: this header, then node data; node headers at the end, growing down. */
typedef struct HnswBuildArena
{
	slock_t		mutex;			/* guards the fields up to entry_level */
	Size		size;			/* bytes, this header included */
	Size		front;			/* bytes used from the front */
	int64		count;			/* nodes */
	int64		entry;			/* the entry node, -1 while the graph is empty */
	int			entry_level;
	bool		full;			/* a node did not fit: the graph takes no more */
	bool		shared;			/* in shared memory: take the node locks */
	int			lock_tranche;
	Size		header_size;	/* bytes per node header (HnswBuildHeaderSize) */
} HnswBuildArena;

/* One process's view of the graph: the arena at its address here, and the search interface. */
typedef struct HnswBuildGraph
{
	HnswBuildArena *arena;
	HnswIndexInfo *info;
	HnswGraph	graph;			/* for the search code (hnswutils.c) */
	HnswIndexInfo search_info;	/* graph.info when the searches use half-precision copies */
	Size		copy_size;		/* bytes of each node's half-precision copy; 0: none */
	void	   *query;			/* the copy of the value being added */
	HnswDenseMap visited;		/* its searches' visited set (node numbers are dense) */
	HnswDenseMap met;			/* distances to the node being added, from its searches */
	Size		limit;			/* local arena: the most it may grow to (maintenance_work_mem) */
} HnswBuildGraph;

static inline HnswBuildNode *
HnswBuildNodeAt(const HnswBuildArena *arena, int64 n)
{
	return (HnswBuildNode *) ((char *) arena + arena->size - (n + 1) * arena->header_size);
}

static inline char *
HnswBuildNodeData(const HnswBuildArena *arena, const HnswBuildNode *node)
{
	return (char *) arena + node->data;
}

/* hnswbuildgraph.c */
extern Size HnswBuildNodeSize(const HnswIndexInfo *info, int level, const void *vec);
extern Size HnswBuildExpectedNodeSize(const HnswIndexInfo *info);
extern Size HnswBuildHeaderSize(const HnswIndexInfo *info);
extern void HnswBuildArenaInit(HnswBuildArena *arena, Size size, bool shared, int lock_tranche, Size header_size);
extern void HnswBuildGraphAttach(HnswBuildGraph *bg, HnswBuildArena *arena, HnswIndexInfo *info);
extern HnswBuildArena *HnswBuildLocalArena(Size limit, const HnswIndexInfo *info);
extern bool HnswBuildAdd(HnswBuildGraph *bg, const void *vec, ItemPointer heaptid);
extern void HnswBuildNodeSlots(const HnswBuildGraph *bg, const HnswBuildNode *node,
							   int32 **links, float **dists, bool **pruned);

/* hnswbuildparallel.c */
typedef struct HnswParallelBuild HnswParallelBuild;

extern int	HnswParallelWorkersFor(Relation heap, Relation index);
extern HnswParallelBuild *HnswParallelBegin(Relation heap, Relation index, IndexInfo *indexInfo,
											HnswIndexInfo *info, int nworkers);
extern HnswBuildArena *HnswParallelArena(HnswParallelBuild *pb);
extern double HnswParallelScan(HnswParallelBuild *pb, double *indtuples);
extern void HnswParallelEnd(HnswParallelBuild *pb);
extern void HnswSetLastBuildWorkers(int n);

/* hnswbuild.c: one participant's reading of its share of the table into the graph */
extern double HnswBuildScanInto(Relation heap, Relation index, IndexInfo *indexInfo,
								HnswBuildArena *arena, TableScanDesc scan, bool progress,
								double *indtuples);

#endif
