/*
 * hnsw.h: the hnsw index access method: page layout, element and neighbour tuples, the
 * element types it stores, the graph interface the search code walks (in memory during a
 * build, through the buffer manager afterwards), and the entry points of hnsw.c, hnswbuild.c,
 * hnswinsert.c, hnswscan.c, hnswvacuum.c, hnswutils.c, hnswtuple.c and hnswtypes.c.
 *
 * On disk: block 0 is the meta page (HnswMetaData); every other block holds tuples. A node
 * is an element tuple: its level, up to HNSW_MAX_HEAPTIDS heap TIDs (identical vectors share a
 * node), the value in its element type's stored form (HnswElementType: dims floats or halves,
 * the bits, or a sparse vector's own layout; normalised under cosine), then, when the whole
 * node fits a page, its neighbour slots: 2m for layer 0 and m for each layer above. Each
 * node's size follows its own value (a sparse vector's depends on its non-zero count).
 * A node too large for one page (many dimensions, a high level, a large m) keeps its
 * slots in a second tuple, a neighbour tuple, on another page; the element tuple points at it
 * and it points back. A slot (HnswLinkData) holds an index TID or invalid, the distance
 * between the node and that neighbour, and whether the neighbour-selection heuristic pruned
 * it (it only fills a spare slot), so an insert can decide a back-link without reading the
 * neighbours' vectors. A node's slots are one array in one tuple either way, so they change
 * together under one buffer lock and one WAL record.
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
#define HNSW_VERSION			3	/* 2: slots carry distances and a pruned flag; 3: element and
									 * neighbour tuples */
#define HNSW_METAPAGE_BLKNO		0
#define HNSW_PAGE_ID			0xFF97

#define HNSW_MAX_DIM			2000	/* vector */
#define HNSW_MAX_HALFVEC_DIM	4000
#define HNSW_MAX_BIT_DIM		64000
#define HNSW_MAX_NNZ			1000	/* sparsevec: non-zero elements */
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

/* the first byte of every tuple on a node page */
#define HNSW_TUPLE_ELEMENT		1
#define HNSW_TUPLE_NEIGHBOURS	2

/* One neighbour slot. */
typedef struct HnswLinkData
{
	ItemPointerData tid;		/* the neighbour's element tuple, or invalid: a free slot */
	uint8		pruned;			/* the heuristic pruned it; it fills a spare slot */
	uint8		unused;
	float		dist;			/* distance between the node and this neighbour */
} HnswLinkData;

/*
 * A node's element tuple: what a search reads to measure its distance. 64 bytes of header, as
 * when every node was one tuple, so small nodes fill pages as densely as then.
 */
typedef struct HnswElementTupleData
{
	uint8		kind;			/* HNSW_TUPLE_ELEMENT */
	uint8		level;
	uint8		nheaptids;		/* 0: the node's rows are dead; VACUUM is removing it */
	uint8		flags;			/* HNSW_ELEMENT_SPLIT or 0 */
	ItemPointerData heaptids[HNSW_MAX_HEAPTIDS];
	char		data[FLEXIBLE_ARRAY_MEMBER];
	/*
	 * the value (HnswValueSize bytes, padded to 4), then the node's slots
	 * (HnswLinkData[(level + 2) * m]), or, split, the TID of the neighbour tuple holding them
	 */
} HnswElementTupleData;

#define HNSW_ELEMENT_SPLIT		1	/* the slots are in a neighbour tuple */

typedef HnswElementTupleData *HnswElementTuple;

/* The slots of a node whose element tuple has no room for them. */
typedef struct HnswNeighbourTupleData
{
	uint8		kind;			/* HNSW_TUPLE_NEIGHBOURS */
	uint8		level;			/* its node's */
	uint16		unused;
	ItemPointerData owner;		/* its node's element tuple */
	HnswLinkData links[FLEXIBLE_ARRAY_MEMBER];	/* (level + 2) * m */
} HnswNeighbourTupleData;

typedef HnswNeighbourTupleData *HnswNeighbourTuple;

#define HNSW_ELEMENT_HEADER_SIZE	offsetof(HnswElementTupleData, data)
#define HNSW_NEIGHBOUR_HEADER_SIZE	offsetof(HnswNeighbourTupleData, links)
#define HnswElementVector(tup)		((void *) (tup)->data)

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

/*
 * Distance between two stored values of dim dimensions (of the index's element type). Values
 * are passed as untyped pointers throughout the graph code, in their type's stored form.
 */
typedef float (*HnswDistanceFn) (int dim, const void *a, const void *b);

/*
 * What the index needs of the type it indexes (hnswtypes.c holds one per type): the size of a
 * stored value, its dimension limit, how to copy a value out, normalise it, and which kernel
 * computes a support function's distance. A stored value of all zero bytes (of the largest
 * size) must be a valid zero vector: a NULL query searches with it.
 */
typedef struct HnswElementType
{
	const char *type_name;		/* the SQL type, as pg_type names it */
	int			max_dims;		/* the most dimensions an hnsw index takes */
	/*
	 * the bytes a stored value of dims dimensions takes: this one's, or with stored == NULL the
	 * most that any value the index accepts takes (fixed-size types: the same either way)
	 */
	Size		(*stored_size) (int dims, const void *stored);
	int			(*dims_of) (Datum value);
	void	   *(*copy) (Datum value);	/* a palloc'd copy in stored form */
	/* NULL, or errors out for a value (copied) that an index cannot store */
	void		(*check) (int dims, const void *stored);
	bool		(*normalize) (int dims, void *stored);	/* to unit length; false if zero */
	/* the kernel for the support function of this name, or NULL: call it through fmgr */
	HnswDistanceFn (*kernel) (const char *proc_name, bool *negate);
	Datum		(*to_datum) (int dims, const void *stored); /* for the fmgr fallback */
	const char *dims_error;		/* errmsg format for a query of other dimensions (%d, %d) */
} HnswElementType;

/* What the index needs to know about itself: fixed at build, cached in rd_amcache. */
typedef struct HnswIndexInfo
{
	const HnswElementType *type;
	int			dims;
	Size		max_value_size; /* type->stored_size(dims, NULL) */
	int			m;
	int			ef_construction;
	int			max_level;		/* highest level whose slots fit a page (in either tuple); -1:
								 * not even the largest value's element tuple fits */
	bool		normalize;		/* vector_cosine_ops: store and search unit vectors */
	HnswDistanceFn distance;	/* a kernel; NULL: distance_proc */
	bool		negate;			/* the kernel computes the negated distance (inner product) */
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

/*
 * A set of node numbers, for a graph whose numbers are dense from 0 (the build's), with a
 * distance per member if made so (hnswidmap.c): a stamp per node number, equal to the epoch
 * for the members, so emptying the set is raising the epoch, not clearing memory (but once
 * every 65,535 times; two-byte stamps keep a large graph's array small enough to stay in
 * cache). Grows (zeroed) to any number added.
 */
typedef struct HnswDenseMap
{
	uint16	   *stamps;
	float	   *dists;			/* NULL unless made with distances */
	uint64		capacity;
	uint16		epoch;
	MemoryContext ctx;			/* where the arrays live */
} HnswDenseMap;

static inline bool
HnswDenseMapHas(const HnswDenseMap *map, uint64 id)
{
	return id < map->capacity && map->stamps[id] == map->epoch;
}

/* How the search code reaches nodes (hnswbuild.c: memory, hnswutils.c: pages). */
typedef struct HnswGraph HnswGraph;
struct HnswGraph
{
	HnswIndexInfo *info;
	void	   *ctx;
	HnswIdMap  *vectors;		/* pages: vectors already copied, or NULL to copy each time */
	/* distance from query to node id, filling c's level and heap TIDs; false if it is gone */
	bool		(*visit) (HnswGraph *g, uint64 id, const void *query, HnswCandidate *c);
	/* node id's neighbours on a layer into out (HnswLayerSlots entries); returns the count */
	int			(*neighbours) (HnswGraph *g, uint64 id, int layer, uint64 *out);
	/* node id's vector (valid until the caller's memory context resets); NULL if gone */
	const void *(*vector) (HnswGraph *g, uint64 id);
	/* optional: a hint that these nodes are about to be visited (start loading them) */
	void		(*prefetch) (HnswGraph *g, const uint64 *ids, int n);
	/* optional: node numbers are dense; searches (one at a time) mark nodes met here */
	HnswDenseMap *dense_visited;
};

/* A best-first search on one layer (hnswutils.c). */
typedef struct HnswSearch
{
	HnswGraph  *g;
	const void *query;
	int			layer;
	int			ef;
	pairingheap *todo;			/* nearest first */
	pairingheap *results;		/* farthest first, at most ef */
	int			nresults;
	pairingheap *discarded;		/* nearest first; NULL unless an iterative scan needs it */
	HnswIdMap	visited;		/* nodes already met (unless the graph has dense_visited) */
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

/* hnswtypes.c */
extern const HnswElementType *HnswFindElementType(Oid typid);
extern bool HnswHalfSearchInfo(const HnswIndexInfo *info, HnswIndexInfo *out);
extern void HnswHalfSearchCopy(int dims, const void *value, void *out);

/* hnswtuple.c: the sizes and shapes of element and neighbour tuples */
extern Size HnswMaxTupleSize(void);
extern Size HnswValueSize(const HnswIndexInfo *info, const void *vec);
extern Size HnswVectorSize(const HnswIndexInfo *info, const void *vec);
extern bool HnswSameValue(const HnswIndexInfo *info, const void *a, const void *b);
extern Size HnswSlotsSize(int m, int level);
extern Size HnswElementSize(const HnswIndexInfo *info, int level, const void *vec);
extern Size HnswNeighbourSize(int m, int level);
extern void HnswSetLevels(HnswIndexInfo *info);
extern bool HnswLinksInline(const HnswIndexInfo *info, int level, const void *vec);
extern HnswElementTuple HnswFormElement(const HnswIndexInfo *info, int level, const void *vec, Size *size);
extern HnswNeighbourTuple HnswFormNeighbours(const HnswIndexInfo *info, int level, Size *size);
extern HnswLinkData *HnswInlineLinks(const HnswIndexInfo *info, HnswElementTuple tup);
extern ItemPointer HnswSlotsTid(const HnswIndexInfo *info, HnswElementTuple tup);
extern HnswElementTuple HnswElementOnPage(Page page, uint64 id);
extern HnswNeighbourTuple HnswNeighboursAt(Page page, OffsetNumber off);
extern HnswNeighbourTuple HnswNeighboursOnPage(Page page, const ItemPointerData *tid, uint64 owner);

/* hnswutils.c */
extern float HnswDistance(HnswIndexInfo *info, const void *a, const void *b);
extern void *HnswPrepareValue(HnswIndexInfo *info, Datum value);
extern void *HnswPrepareQuery(HnswIndexInfo *info, Datum value);
extern int	HnswRandomLevel(int m, int max_level);
extern void HnswInitPage(Page page, uint16 flags);
extern void HnswInitMetaPage(Page page, HnswIndexInfo *info);
extern void HnswReadMeta(Relation index, HnswMetaData *meta);
extern void HnswCheckVersion(Relation index);
extern Buffer HnswLockLinks(Relation index, HnswIndexInfo *info, uint64 id, int mode, HnswLinkData **links, int *level);
extern void HnswInitDiskGraph(HnswGraph *g, Relation index, HnswIndexInfo *info);
extern void HnswCacheVectors(HnswGraph *g);
extern void HnswIdMapInit(HnswIdMap *map, uint32 size);
extern void HnswDenseMapInit(HnswDenseMap *map, bool with_dists);
extern void HnswDenseMapClear(HnswDenseMap *map);
extern bool HnswDenseMapAdd(HnswDenseMap *map, uint64 id);
extern void HnswDenseMapPutDistance(HnswDenseMap *map, uint64 id, float dist);
extern bool HnswDenseMapGetDistance(const HnswDenseMap *map, uint64 id, float *dist);
extern bool HnswIdMapAdd(HnswIdMap *map, uint64 id, void *value);
extern void *HnswIdMapGet(const HnswIdMap *map, uint64 id);
extern void HnswDistanceMapInit(HnswIdMap *map, uint32 size);
extern void HnswDistanceMapPut(HnswIdMap *map, uint64 id, float dist);
extern bool HnswDistanceMapGet(const HnswIdMap *map, uint64 id, float *dist);
extern void HnswSearchInit(HnswSearch *s, HnswGraph *g, const void *query, int layer, int ef, bool keep_discarded);
extern void HnswSearchSeed(HnswSearch *s, uint64 id);
extern void HnswSearchRun(HnswSearch *s);
extern HnswCandidate **HnswSearchTakeResults(HnswSearch *s, int *count);
extern int	HnswSearchReseed(HnswSearch *s);
extern uint64 HnswDescend(HnswGraph *g, const void *query, uint64 entry, int from_level, int to_level);
extern HnswCandidate *HnswSearchLayers(HnswGraph *g, const void *vec, int level, uint64 entry, int entry_level, HnswLayerChoice *layers, HnswIdMap *met);
extern void HnswSelectLayers(HnswGraph *g, int level, HnswLayerChoice *layers);
extern bool HnswMaybeSameVector(HnswIndexInfo *info, const void *vec, const HnswCandidate *nearest);
extern int	HnswSelect(HnswGraph *g, HnswCandidate **sorted, int n, int max, HnswNeighbour *out);
extern int	HnswPrune(HnswGraph *g, const void *base, const uint64 *ids, int n, int max, HnswNeighbour *out);
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
extern void HnswInsertValue(Relation index, HnswIndexInfo *info, const void *vec, ItemPointer heap_tid);

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
