/*
 * ivfutils.c: what the parts of the ivfflat index share: distances and value preparation,
 * the column checks, page initialisation and capacity, reading the meta page, and moving a
 * list's insert-page hint.
 */
#include "postgres.h"

#include <math.h>

#include "access/generic_xlog.h"
#include "storage/bufpage.h"
#include "utils/rel.h"

#include "ivfflat.h"

/* The index's distance between two stored values (smaller is nearer). */
float
IvfDistance(const IvfIndexInfo *info, const void *a, const void *b)
{
	Datum		da;
	Datum		db;
	double		d;

	if (info->distance != NULL)
		return info->distance(info->dims, a, b);
	da = info->type->to_datum(info->dims, a);
	db = info->type->to_datum(info->dims, b);
	d = DatumGetFloat8(FunctionCall2Coll(info->distance_proc, info->collation, da, db));
	pfree(DatumGetPointer(da));
	pfree(DatumGetPointer(db));
	return (float) d;
}

/* Scales x to unit length; false (x unchanged) if its length is zero or not finite. */
bool
IvfNormalize(int dims, float *x)
{
	double		norm = 0;

	for (int i = 0; i < dims; i++)
		norm += (double) x[i] * (double) x[i];
	norm = sqrt(norm);
	if (norm == 0 || !isfinite(norm))
		return false;
	for (int i = 0; i < dims; i++)
		x[i] = (float) (x[i] / norm);
	return true;
}

/* Copies a value's elements into out (info->item_size bytes); an error if its size is not the
 * column's. */
void
IvfCopyValue(const IvfIndexInfo *info, Datum value, void *out)
{
	int			dims;
	const void *elems = info->type->elements(value, &dims);

	if (dims != info->dims)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", info->dims, dims)));
	memcpy(out, elems, info->item_size);
}

/*
 * Copies an indexed value into out (info->item_size bytes), normalised for the cosine
 * classes. False when the value cannot be indexed: a zero vector under cosine distance.
 */
bool
IvfPrepareValue(const IvfIndexInfo *info, Datum value, void *out)
{
	IvfCopyValue(info, value, out);
	return !info->normalize || info->type->normalize(info->dims, out);
}

/* The column checks a build makes, with pgvector's messages. */
void
IvfCheckColumn(const IvfIndexInfo *info)
{
	if (info->dims < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column does not have dimensions")));
	if (info->dims > info->type->max_dims)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("column cannot have more than %d dimensions for ivfflat index",
						info->type->max_dims)));
	if ((info->normalize || info->spherical) && info->type->normalize == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("operator class normalizes values, which type %s cannot", info->type->type_name)));
	/* unit centres of one dimension are just +1 and -1 */
	if (info->spherical && info->dims == 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions must be greater than one for this opclass")));
}

void
IvfInitPage(Page page, uint16 flags)
{
	IvfPageOpaqueData *opaque;

	PageInit(page, BLCKSZ, sizeof(IvfPageOpaqueData));
	opaque = IvfPageGetOpaque(page);
	opaque->next = InvalidBlockNumber;
	opaque->flags = flags;
	opaque->page_id = IVF_PAGE_ID;
}

/* How many items of this (MAXALIGNed) size an empty page holds: PageAddItem's own arithmetic. */
int
IvfItemsPerPage(Size item_size)
{
	Size		usable = BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(IvfPageOpaqueData));

	return (int) (usable / (MAXALIGN(item_size) + sizeof(ItemIdData)));
}

void
IvfReadMeta(Relation index, IvfMetaData *meta)
{
	Buffer		buf = ReadBuffer(index, IVF_METAPAGE_BLKNO);
	Page		page;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	memcpy(meta, IvfPageGetMeta(page), sizeof(IvfMetaData));
	UnlockReleaseBuffer(buf);
	if (meta->magic != IVF_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" is not an ivfflat index", RelationGetRelationName(index))));
	if (meta->version != IVF_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("ivfflat index \"%s\" has version %u, expected %d", RelationGetRelationName(index),
						meta->version, IVF_VERSION),
				 errhint("REINDEX the index.")));
}

/*
 * Every list's distance from vec to its centre, and its pages, into out (meta->lists entries,
 * in list order). Reads the list pages one at a time under a share lock.
 */
void
IvfListDistances(Relation index, const IvfIndexInfo *info, const IvfMetaData *meta,
				 const void *vec, IvfListDistance *out)
{
	int			list = 0;

	for (BlockNumber blkno = 1; blkno <= meta->list_pages; blkno++)
	{
		Buffer		buf = ReadBuffer(index, blkno);
		Page		page;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page) && list < (int) meta->lists; off++)
		{
			IvfList		tup = (IvfList) PageGetItem(page, PageGetItemId(page, off));

			out[list].dist = IvfDistance(info, vec, tup->center);
			out[list].list = list;
			out[list].head = tup->head;
			out[list].insert_page = tup->insert_page;
			list++;
		}
		UnlockReleaseBuffer(buf);
	}
	if (list != (int) meta->lists)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("ivfflat index \"%s\" has %d lists, its meta page says %u",
						RelationGetRelationName(index), list, meta->lists)));
}

/*
 * Points a list's insert hint at blkno (a page of that list), in one generic WAL record. The
 * hint only saves inserts a walk along the chain, so a lost race between two writers is fine.
 */
void
IvfSetInsertPage(Relation index, const IvfMetaData *meta, int list, BlockNumber blkno)
{
	Buffer		buf = ReadBuffer(index, IvfListBlock(meta, list));
	GenericXLogState *state;
	Page		page;
	IvfList		tup;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	tup = (IvfList) PageGetItem(BufferGetPage(buf), PageGetItemId(BufferGetPage(buf), IvfListOffset(meta, list)));
	if (tup->insert_page != blkno)
	{
		state = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(state, buf, 0);
		tup = (IvfList) PageGetItem(page, PageGetItemId(page, IvfListOffset(meta, list)));
		tup->insert_page = blkno;
		GenericXLogFinish(state);
	}
	UnlockReleaseBuffer(buf);
}
