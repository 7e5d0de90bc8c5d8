/*
 * hnsw.h: the hnsw index access method: page layout, node tuples, the graph interface the
 * search code walks (in memory during a build, through the buffer manager afterwards), and
 * the entry points of hnsw.c, hnswbuild.c, hnswinsert.c, hnswscan.c, hnswvacuum.c and
 * hnswutils.c.
 *
 * On disk: block 0 is the meta page (HnswMetaData); every other block holds node tuples. A node
 * tuple carries its level, up to HNSW_MAX_HEAPTIDS heap TIDs (identical vectors share a node),
 * the vector (normalised for vector_cosine_ops), then its neighbour slots: 2m for layer 0 and m
 * for each layer above. A slot (HnswLinkData) holds an index TID or invalid, the distance
 * between the node and that neighbour, and whether the neighbour-selection heuristic pruned
 * it (it only fills a spare slot), so an insert can decide a back-link without reading the
 * neighbours' vectors. Every node is one tuple on one page, so a
 * node and its links change together under one buffer lock and one generic WAL record.
 * A node id is its TID packed into a uint64 (block << 16 | offset); during a build, an array
 * index.
 */
#ifndef STUDYBASE_HNSW_H
#define STUDYBASE_HNSW_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/genam.h"
#include "lib/pairingheap.h"
#include "nodes/execnodes.h"
#include "storage/bufmgr.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"

#include "vector.h"

#define HNSW_MAGIC				0x48535742	/* "BWSH" */
#define HNSW_VERSION			2	/* 2: slots carry distances and a pruned flag */
#define HNSW_METAPAGE_BLKNO		0
#define HNSW_PAGE_ID			0xFF97

#define HNSW_MAX_DIM			2000
#define HNSW_MAX_HEAPTIDS		10
#define HNSW_MAX_LEVEL			15

#define HNSW_DEFAULT_M			16
#define HNSW_MIN_M				2
#define HNSW_MAX_M				100
#define HNSW_DEFAULT_EF_CONSTRUCTION 64
#define HNSW_MIN_EF_CONSTRUCTION 4
#define HNSW_MAX_EF_CONSTRUCTION 1000
#define HNSW_DEFAULT_EF_SEARCH	40

/* support function numbers in the operator classes */
#define HNSW_DISTANCE_PROC		1
#define HNSW_NORM_PROC			2

/* heavyweight locks on pseudo page numbers (LockPage), see hnswinsert.c and hnswvacuum.c */
#define HNSW_UPDATE_LOCK		((BlockNumber) 0xFFFFFF00)
#define HNSW_SCAN_LOCK			((BlockNumber) 0xFFFFFF01)

typedef enum HnswIterative
{
	HNSW_ITERATIVE_OFF,
	HNSW_ITERATIVE_RELAXED,
	HNSW_ITERATIVE_STRICT
} HnswIterative;

extern int	hnsw_ef_search;
extern int	hnsw_iterative_scan;
extern int	hnsw_max_scan_tuples;
extern int	hnsw_scan_mem_multiplier;

typedef struct HnswOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int			m;
	int			ef_construction;
} HnswOptions;

typedef struct HnswPageOpaqueData
{
	uint16		flags;			/* HNSW_PAGE_META or HNSW_PAGE_NODES */
	uint16		page_id;		/* HNSW_PAGE_ID, for tools that guess a page's AM */
	uint32		unused;
} HnswPageOpaqueData;

#define HNSW_PAGE_META		1
#define HNSW_PAGE_NODES		2
#define HnswPageGetOpaque(page) ((HnswPageOpaqueData *) PageGetSpecialPointer(page))

typedef struct HnswMetaData
{
	uint32		magic;
	uint32		version;
	uint32		dims;
	uint16		m;
	uint16		ef_construction;
	ItemPointerData entry;		/* the entry node, invalid while the index is empty */
	int16		entry_level;
} HnswMetaData;

#define HnswPageGetMeta(page)	((HnswMetaData *) PageGetContents(page))

typedef struct HnswNodeTupleData
{
	uint8		level;
	uint8		nheaptids;		/* 0: the node's rows are dead; VACUUM is removing it */
	uint16		dim;
	ItemPointerData heaptids[HNSW_MAX_HEAPTIDS];
	float		vec[FLEXIBLE_ARRAY_MEMBER];
	/* then HnswLinkData links[(level + 2) * m] */
} HnswNodeTupleData;

typedef HnswNodeTupleData *HnswNodeTuple;

/* One neighbour slot of a node tuple. */
typedef struct HnswLinkData
{
	ItemPointerData tid;		/* the neighbour's node, or invalid: a free slot */
	uint8		pruned;			/* the heuristic pruned it; it fills a spare slot */
	uint8		unused;
	float		dist;			/* distance between the node and this neighbour */
} HnswLinkData;

#define HNSW_NODE_HEADER_SIZE	offsetof(HnswNodeTupleData, vec)
#define HnswNodeLinks(tup)		((HnswLinkData *) ((char *) (tup) + HNSW_NODE_HEADER_SIZE + sizeof(float) * (tup)->dim))

/* how a node's neighbours are laid out: 2m slots for layer 0, then m for each layer above */
static inline int
HnswLayerSlots(int m, int layer)
{
	return layer == 0 ? 2 * m : m;
}

static inline int
HnswLayerOffset(int m, int layer)
{
	return layer == 0 ? 0 : 2 * m + (layer - 1) * m;
}

static inline int
HnswLinkCount(int m, int level)
{
	return (level + 2) * m;
}

static inline uint64
HnswTidToId(const ItemPointerData *tid)
{
	return ((uint64) ItemPointerGetBlockNumberNoCheck(tid) << 16) | ItemPointerGetOffsetNumberNoCheck(tid);
}

static inline void
HnswIdToTid(uint64 id, ItemPointerData *tid)
{
	ItemPointerSet(tid, (BlockNumber) (id >> 16), (OffsetNumber) (id & 0xFFFF));
}

/* What the index needs to know about itself: fixed at build, cached in rd_amcache. */
typedef float (*HnswDistanceFn) (int dim, const float *a, const float *b);

typedef struct HnswIndexInfo
{
	int			dims;
	int			m;
	int			ef_construction;
	int			max_level;		/* highest level whose node tuple still fits a page */
	bool		normalize;		/* vector_cosine_ops: store and search unit vectors */
	HnswDistanceFn distance;	/* a kernel; NULL: see negate_inner_product, distance_proc */
	bool		negate_inner_product;	/* vector_ip_ops, vector_cosine_ops */
	FmgrInfo   *distance_proc;
	Oid			collation;
} HnswIndexInfo;

/* One node met by a search. */
typedef struct HnswCandidate
{
	pairingheap_node todo_node; /* in the heap of nodes to expand */
	pairingheap_node kept_node; /* in the results heap, or in the discarded heap */
	uint64		id;
	float		dist;
	bool		expanded;
	bool		in_todo;
	uint8		level;
	uint8		nheaptids;
	ItemPointerData heaptids[HNSW_MAX_HEAPTIDS];
} HnswCandidate;

/* A map from node id to a pointer or a distance: open addressing on the id (hnswidmap.c). */
typedef struct HnswIdMap
{
	uint64	   *keys;			/* id + 1; 0 = empty */
	void	  **values;
	float	   *dists;			/* NULL unless a map of distances (HnswDistanceMapInit) */
	uint32		size;			/* a power of two */
	uint32		count;
} HnswIdMap;

/* The slot holding id, or the empty slot where it would go (linear probing). Inline: a
 * search probes it for every link it looks at. */
static inline uint32
HnswIdMapSlot(const HnswIdMap *map, uint64 id)
{
	uint64		h = (id + 1) * UINT64CONST(0x9E3779B97F4A7C15);
	uint32		i = (uint32) (h >> 32) & (map->size - 1);

	while (map->keys[i] != 0 && map->keys[i] != id + 1)
		i = (i + 1) & (map->size - 1);
	return i;
}

/* How the search code reaches nodes (hnswbuild.c: memory, hnswutils.c: pages). */
typedef struct HnswGraph HnswGraph;
struct HnswGraph
{
	HnswIndexInfo *info;
	void	   *ctx;
	HnswIdMap  *vectors;		/* pages: vectors already copied, or NULL to copy each time */
	/* distance from query to node id, filling c's level and heap TIDs; false if it is gone */
	bool		(*visit) (HnswGraph *g, uint64 id, const float *query, HnswCandidate *c);
	/* node id's neighbours on a layer into out (HnswLayerSlots entries); returns the count */
	int			(*neighbours) (HnswGraph *g, uint64 id, int layer, uint64 *out);
	/* node id's vector (valid until the caller's memory context resets); NULL if gone */
	const float *(*vector) (HnswGraph *g, uint64 id);
	/* optional: a hint that these nodes are about to be visited (start loading them) */
	void		(*prefetch) (HnswGraph *g, const uint64 *ids, int n);
};

/* A best-first search on one layer (hnswutils.c). */
typedef struct HnswSearch
{
	HnswGraph  *g;
	const float *query;
	int			layer;
	int			ef;
	pairingheap *todo;			/* nearest first */
	pairingheap *results;		/* farthest first, at most ef */
	int			nresults;
	pairingheap *discarded;		/* nearest first; NULL unless an iterative scan needs it */
	HnswIdMap	visited;		/* nodes already met */
	int64		nvisited;
	HnswCandidate *spare;		/* a candidate not kept, for the next node met to reuse */
	HnswIdMap  *met;			/* if not NULL: gets the distance of every node met */
} HnswSearch;

/* A neighbour chosen by the heuristic (HnswSelect, HnswPrune). */
typedef struct HnswNeighbour
{
	uint64		id;
	float		dist;			/* from the base node */
	bool		pruned;			/* kept only to fill a spare slot */
} HnswNeighbour;

/* A new node's neighbours on one layer: the search's nearest, then those chosen. */
typedef struct HnswLayerChoice
{
	int			nfound;
	HnswCandidate **found;		/* nearest first */
	int			count;
	HnswNeighbour *chosen;
} HnswLayerChoice;

/* hnsw.c */
extern HnswIndexInfo *HnswGetIndexInfo(Relation index);
extern int	HnswOptionM(Relation index);
extern int	HnswOptionEfConstruction(Relation index);

/* hnswutils.c */
extern float HnswDistance(HnswIndexInfo *info, const float *a, const float *b);
extern bool HnswPrepareValue(HnswIndexInfo *info, Datum value, float *out);
extern Size HnswNodeSize(int dim, int level, int m);
extern int	HnswMaxLevel(int dim, int m);
extern int	HnswRandomLevel(int m, int max_level);
extern void HnswInitPage(Page page, uint16 flags);
extern void HnswInitMetaPage(Page page, HnswIndexInfo *info);
extern void HnswReadMeta(Relation index, HnswMetaData *meta);
extern HnswNodeTuple HnswNodeOnPage(Page page, uint64 id);
extern void HnswInitDiskGraph(HnswGraph *g, Relation index, HnswIndexInfo *info);
extern void HnswCacheVectors(HnswGraph *g);
extern void HnswIdMapInit(HnswIdMap *map, uint32 size);
extern bool HnswIdMapAdd(HnswIdMap *map, uint64 id, void *value);
extern void *HnswIdMapGet(const HnswIdMap *map, uint64 id);
extern void HnswDistanceMapInit(HnswIdMap *map, uint32 size);
extern void HnswDistanceMapPut(HnswIdMap *map, uint64 id, float dist);
extern bool HnswDistanceMapGet(const HnswIdMap *map, uint64 id, float *dist);
extern void HnswSearchInit(HnswSearch *s, HnswGraph *g, const float *query, int layer, int ef, bool keep_discarded);
extern void HnswSearchSeed(HnswSearch *s, uint64 id);
extern void HnswSearchRun(HnswSearch *s);
extern HnswCandidate **HnswSearchTakeResults(HnswSearch *s, int *count);
extern int	HnswSearchReseed(HnswSearch *s);
extern uint64 HnswDescend(HnswGraph *g, const float *query, uint64 entry, int from_level, int to_level);
extern HnswCandidate *HnswSearchLayers(HnswGraph *g, const float *vec, int level, uint64 entry, int entry_level, HnswLayerChoice *layers, HnswIdMap *met);
extern void HnswSelectLayers(HnswGraph *g, int level, HnswLayerChoice *layers);
extern bool HnswMaybeSameVector(HnswIndexInfo *info, const float *vec, const HnswCandidate *nearest);
extern int	HnswSelect(HnswGraph *g, HnswCandidate **sorted, int n, int max, HnswNeighbour *out);
extern int	HnswPrune(HnswGraph *g, const float *base, const uint64 *ids, int n, int max, HnswNeighbour *out);
extern void HnswSetLink(HnswLinkData *link, const HnswNeighbour *chosen);

/* hnswwal.c: a byte range of a page to write, and its new bytes */
#define HNSW_MAX_RANGES			3

typedef struct HnswByteRange
{
	uint16		offset;
	uint16		length;
	const void *data;
} HnswByteRange;

extern void HnswWritePage(Relation index, Buffer buf, const HnswByteRange *ranges, int n);
extern HnswByteRange HnswRangeOf(Page page, const void *start, Size length, const void *data);

/* hnswbuild.c */
extern IndexBuildResult *hnswbuild(Relation heap, Relation index, IndexInfo *indexInfo);
extern void hnswbuildempty(Relation index);

/* hnswinsert.c */
extern bool hnswinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
					   Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
					   IndexInfo *indexInfo);
extern void HnswInsertValue(Relation index, HnswIndexInfo *info, const float *vec, ItemPointer heap_tid);

/* hnswscan.c */
extern IndexScanDesc hnswbeginscan(Relation index, int nkeys, int norderbys);
extern void hnswrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys);
extern bool hnswgettuple(IndexScanDesc scan, ScanDirection dir);
extern void hnswendscan(IndexScanDesc scan);

/* hnswvacuum.c */
extern IndexBulkDeleteResult *hnswbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
											 IndexBulkDeleteCallback callback, void *callback_state);
extern IndexBulkDeleteResult *hnswvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats);

#endif
