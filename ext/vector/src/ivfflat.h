/*
 * ivfflat.h: the ivfflat index access method: page layout, the per-index facts every part
 * shares, and the entry points of ivfflat.c, ivfutils.c, ivfkmeans.c, ivfbuild.c,
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
 *   and the vector, normalised for vector_cosine_ops), chained to the list's next page through
 *   the page's special area. A build writes each list's pages contiguously; an insert appends
 *   a page to the end of the chain when the last is full. Pages are never freed: VACUUM deletes
 *   dead entries in place and inserts reuse the room.
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

#define IVF_MAX_DIM				2000
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
	float		center[FLEXIBLE_ARRAY_MEMBER];
} IvfListData;

typedef IvfListData *IvfList;

#define IVF_LIST_SIZE(dims)		MAXALIGN(offsetof(IvfListData, center) + sizeof(float) * (dims))

/* One indexed row. */
typedef struct IvfEntryData
{
	ItemPointerData heaptid;
	uint16		unused;
	float		vec[FLEXIBLE_ARRAY_MEMBER];
} IvfEntryData;

typedef IvfEntryData *IvfEntry;

#define IVF_ENTRY_SIZE(dims)	MAXALIGN(offsetof(IvfEntryData, vec) + sizeof(float) * (dims))

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

/* What the index needs to know about itself: fixed at build, cached in rd_amcache. */
typedef float (*IvfDistanceFn) (int dim, const float *a, const float *b);

typedef struct IvfIndexInfo
{
	int			dims;			/* the column's typmod; -1 if it has none */
	int			lists;			/* the lists option */
	bool		normalize;		/* vector_cosine_ops: store and search unit vectors */
	bool		spherical;		/* inner product (ip, cosine): centres are unit vectors */
	IvfDistanceFn distance;		/* a kernel; NULL: see negate_inner_product, distance_proc */
	bool		negate_inner_product;
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

/* ivfutils.c */
extern float IvfDistance(const IvfIndexInfo *info, const float *a, const float *b);
extern bool IvfPrepareValue(const IvfIndexInfo *info, Datum value, float *out);
extern bool IvfNormalize(int dims, float *x);
extern void IvfInitPage(Page page, uint16 flags);
extern int	IvfItemsPerPage(Size item_size);
extern void IvfReadMeta(Relation index, IvfMetaData *meta);
extern void IvfCheckColumn(const IvfIndexInfo *info);
extern void IvfListDistances(Relation index, const IvfIndexInfo *info, const IvfMetaData *meta,
							 const float *vec, IvfListDistance *out);
extern void IvfSetInsertPage(Relation index, const IvfMetaData *meta, int list, BlockNumber blkno);

/* ivfkmeans.c */
extern Size IvfKmeansMemory(int nsamples, int dims, int k);
extern void IvfKmeans(const float *samples, int nsamples, int dims, int k, bool spherical, float *centers);

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
