/*
 * ivfflat.h: the ivfflat index access method: page layout, the per-index facts every part
 * shares, and the entry points of ivfflat.c, ivftypes.c, ivfutils.c, ivfkmeans.c, ivfbuild.c,
 * ivfinsert.c, ivfscan.c and ivfvacuum.c.
 *
 * An ivfflat index splits the vectors into `lists` groups around centres found by k-means on
 * a sample of the rows; a scan compares the query with every centre and reads only the rows
 * of the `ivfflat.probes` nearest lists.
 *
 * On disk:
 * - block 0, the meta page (IvfMetaData): dims, number of lists, how many list pages follow;
 * - blocks 1 .. list_pages: list tuples (IvfListData), lists_per_page to a page, in list
 *   order: where the list's entry pages start, a hint of the page to insert into, its centre;
 * - every other block is an entry page of one list: entry tuples (IvfEntryData: the heap TID
 *   and the vector, normalised for the cosine classes), chained to the list's next page through
 *   the page's special area. A build writes each list's pages contiguously; an insert appends
 *   a page to the end of the chain when the last is full. Pages are never freed: VACUUM deletes
 *   dead entries in place and inserts reuse the room.
 *
 * Centres and entries hold a value's elements as the column's type stores them (IvfType,
 * ivftypes.c): float4s for vector, halves for halfvec, packed bits for bit; `item_size` bytes.
 */
#ifndef STUDYBASE_IVFFLAT_H
#define STUDYBASE_IVFFLAT_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/genam.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "storage/block.h"
#include "storage/bufmgr.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"

#include "vector.h"

#define IVF_MAGIC				0x49564646	/* "FFVI" */
#define IVF_VERSION				1
#define IVF_METAPAGE_BLKNO		0
#define IVF_PAGE_ID				0xFF98

#define IVF_MAX_DIM				2000	/* vector */
#define IVF_HALFVEC_MAX_DIM		4000
#define IVF_BIT_MAX_DIM			64000
#define IVF_DEFAULT_LISTS		100
#define IVF_MIN_LISTS			1
#define IVF_MAX_LISTS			32768
#define IVF_DEFAULT_PROBES		1

/* support function numbers in the operator classes (as hnsw's) */
#define IVF_DISTANCE_PROC		1
#define IVF_NORM_PROC			2

/* the build's phases, as pg_stat_progress_create_index shows them (ivfflatbuildphasename) */
#define IVF_PHASE_KMEANS		2
#define IVF_PHASE_ASSIGN		3
#define IVF_PHASE_LOAD			4

typedef enum IvfIterative
{
	IVF_ITERATIVE_OFF,
	IVF_ITERATIVE_RELAXED
} IvfIterative;

extern int	ivfflat_probes;
extern int	ivfflat_iterative_scan;
extern int	ivfflat_max_probes;

typedef struct IvfOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int			lists;
} IvfOptions;

typedef struct IvfPageOpaqueData
{
	BlockNumber next;			/* entry pages: the list's next page, or InvalidBlockNumber */
	uint16		flags;			/* IVF_PAGE_META, IVF_PAGE_LISTS or IVF_PAGE_ENTRIES */
	uint16		page_id;		/* IVF_PAGE_ID, for tools that guess a page's AM */
} IvfPageOpaqueData;

#define IVF_PAGE_META		1
#define IVF_PAGE_LISTS		2
#define IVF_PAGE_ENTRIES	3
#define IvfPageGetOpaque(page) ((IvfPageOpaqueData *) PageGetSpecialPointer(page))

typedef struct IvfMetaData
{
	uint32		magic;
	uint32		version;
	uint32		dims;
	uint32		lists;
	uint32		list_pages;		/* blocks 1 .. list_pages hold the list tuples */
	uint32		lists_per_page;
} IvfMetaData;

#define IvfPageGetMeta(page)	((IvfMetaData *) PageGetContents(page))

/* One list: where its entries are, and its centre. */
typedef struct IvfListData
{
	BlockNumber head;			/* the list's first entry page */
	BlockNumber insert_page;	/* a page of the list likely to have room (a hint) */
	char		center[FLEXIBLE_ARRAY_MEMBER];	/* item_size bytes (MAXALIGNed offset) */
} IvfListData;

typedef IvfListData *IvfList;

#define IVF_LIST_SIZE(item_size)	MAXALIGN(offsetof(IvfListData, center) + (item_size))

/* One indexed row. */
typedef struct IvfEntryData
{
	ItemPointerData heaptid;
	uint16		unused;
	char		vec[FLEXIBLE_ARRAY_MEMBER];	/* item_size bytes (MAXALIGNed offset) */
} IvfEntryData;

typedef IvfEntryData *IvfEntry;

#define IVF_ENTRY_SIZE(item_size)	MAXALIGN(offsetof(IvfEntryData, vec) + (item_size))

/* Where list number i's tuple is. */
static inline BlockNumber
IvfListBlock(const IvfMetaData *meta, int i)
{
	return 1 + i / meta->lists_per_page;
}

static inline OffsetNumber
IvfListOffset(const IvfMetaData *meta, int i)
{
	return FirstOffsetNumber + i % meta->lists_per_page;
}

/* The distance between two stored values of dims dimensions (smaller is nearer). */
typedef float (*IvfDistanceFn) (int dims, const void *a, const void *b);

/*
 * What the index needs of the type it indexes (ivftypes.c holds one per type). Everything
 * past the first fields works on stored elements (item_size(dims) bytes), so the build, the
 * scan and k-means see values only as bytes. k-means computes each new centre in float4: the
 * members' elements are added up by add_to_sum, and from_floats turns the mean (already
 * divided) back into stored elements.
 */
typedef struct IvfType
{
	const char *type_name;		/* the SQL type, as pg_type names it */
	int			max_dims;		/* the most dimensions an ivfflat index takes */
	const char *dims_mismatch;	/* "different %s %d and %d": "vector dimensions", ... */
	Size		(*item_size) (int dims);
	/* the elements of a value and (into *dims) how many it has */
	const void *(*elements) (Datum value, int *dims);
	/* to unit length; false if zero. NULL for a type no inner-product class indexes */
	bool		(*normalize) (int dims, void *elems);
	/* the kernel for the support function of this name (*inner_product: a negated dot
	 * product, whose centres k-means keeps at unit length), or NULL: call it through fmgr */
	IvfDistanceFn (*kernel) (const char *proc_name, bool *inner_product);
	IvfDistanceFn kmeans_distance;	/* a metric (Elkan's bounds need one) */
	void		(*add_to_sum) (int dims, const void *elems, float *sum);
	void		(*from_floats) (int dims, const float *x, void *out);
	Datum		(*to_datum) (int dims, const void *elems);	/* for the fmgr fallback */
} IvfType;

/* What the index needs to know about itself: fixed at build, cached in rd_amcache. */
typedef struct IvfIndexInfo
{
	const IvfType *type;
	int			dims;			/* the column's typmod; -1 if it has none */
	Size		item_size;		/* bytes of one stored value: type->item_size(dims) */
	int			lists;			/* the lists option */
	bool		normalize;		/* cosine classes: store and search unit vectors */
	bool		spherical;		/* inner product (ip, cosine): centres are unit vectors */
	IvfDistanceFn distance;		/* a kernel; NULL: call distance_proc */
	FmgrInfo   *distance_proc;
	Oid			collation;
} IvfIndexInfo;

/* A list as a scan or an insert sees it: its centre's distance to a vector, and its pages. */
typedef struct IvfListDistance
{
	float		dist;
	int			list;
	BlockNumber head;
	BlockNumber insert_page;
} IvfListDistance;

/* ivfflat.c */
extern void IvfflatInit(void);
extern IvfIndexInfo *IvfGetIndexInfo(Relation index);

/* ivftypes.c */
extern const IvfType *IvfFindType(Oid typid);

/* ivfutils.c */
extern float IvfDistance(const IvfIndexInfo *info, const void *a, const void *b);
extern void IvfCopyValue(const IvfIndexInfo *info, Datum value, void *out);
extern bool IvfPrepareValue(const IvfIndexInfo *info, Datum value, void *out);
extern bool IvfNormalize(int dims, float *x);
extern void IvfInitPage(Page page, uint16 flags);
extern int	IvfItemsPerPage(Size item_size);
extern void IvfReadMeta(Relation index, IvfMetaData *meta);
extern void IvfCheckColumn(const IvfIndexInfo *info);
extern void IvfListDistances(Relation index, const IvfIndexInfo *info, const IvfMetaData *meta,
							 const void *vec, IvfListDistance *out);
extern void IvfSetInsertPage(Relation index, const IvfMetaData *meta, int list, BlockNumber blkno);

/* ivfkmeans.c */
extern Size IvfKmeansMemory(const IvfIndexInfo *info, int nsamples, int k);
extern void IvfKmeans(const IvfIndexInfo *info, const char *samples, int nsamples, int k, char *centers);

/* ivfbuild.c */
extern IndexBuildResult *ivfflatbuild(Relation heap, Relation index, IndexInfo *indexInfo);
extern void ivfflatbuildempty(Relation index);

/* ivfinsert.c */
extern bool ivfflatinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
						  Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
						  IndexInfo *indexInfo);

/* ivfscan.c */
extern IndexScanDesc ivfflatbeginscan(Relation index, int nkeys, int norderbys);
extern void ivfflatrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys);
extern bool ivfflatgettuple(IndexScanDesc scan, ScanDirection dir);
extern void ivfflatendscan(IndexScanDesc scan);

/* ivfvacuum.c */
extern IndexBulkDeleteResult *ivfflatbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
												IndexBulkDeleteCallback callback, void *callback_state);
extern IndexBulkDeleteResult *ivfflatvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats);

#endif
