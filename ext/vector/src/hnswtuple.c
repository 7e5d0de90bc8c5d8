/*
 * hnswtuple.c: the shapes of the tuples an hnsw index stores (hnsw.h describes the layout):
 * their sizes, which levels keep a node in one tuple, forming new tuples, and finding them on
 * a page.
 *
 * A node stays one element tuple, its slots after its vector, whenever that fits an empty
 * page: small vectors (384 dimensions at m = 16: every level) read a node's vector and slots
 * with one buffer lock. Otherwise the slots go to a neighbour tuple of their own (2,000
 * dimensions at m = 16: every node; 384 at m = 100: level 4). Levels are capped so that a
 * neighbour tuple fits a page too. Whether a node is split depends on its own value's size
 * (the same for every node of a fixed-size type; a sparse vector's varies with its non-zero
 * count), so writers decide it per node and readers follow the element tuple's flag.
 */
#include "postgres.h"

#include "storage/bufpage.h"

#include "hnsw.h"

/* The most a tuple may take so that it fits an empty page with its line pointer. */
Size
HnswMaxTupleSize(void)
{
	return BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(HnswPageOpaqueData)) -
		sizeof(ItemIdData);
}

/* The bytes of a stored value (vec NULL: of the largest one the index accepts). */
Size
HnswValueSize(const HnswIndexInfo *info, const void *vec)
{
	if (vec == NULL)
		return info->max_value_size;
	return info->type->stored_size(info->dims, vec);
}

/* The same, padded so the slots after it are aligned. */
Size
HnswVectorSize(const HnswIndexInfo *info, const void *vec)
{
	return INTALIGN(HnswValueSize(info, vec));
}

/* Whether two stored values are the same value (byte for byte). */
bool
HnswSameValue(const HnswIndexInfo *info, const void *a, const void *b)
{
	Size		size = HnswValueSize(info, a);

	return size == HnswValueSize(info, b) && memcmp(a, b, size) == 0;
}

Size
HnswSlotsSize(int m, int level)
{
	return sizeof(HnswLinkData) * HnswLinkCount(m, level);
}

static Size
inline_element_size(const HnswIndexInfo *info, int level, const void *vec)
{
	return MAXALIGN(HNSW_ELEMENT_HEADER_SIZE + HnswVectorSize(info, vec) + HnswSlotsSize(info->m, level));
}

static Size
split_element_size(const HnswIndexInfo *info, const void *vec)
{
	return MAXALIGN(HNSW_ELEMENT_HEADER_SIZE + HnswVectorSize(info, vec) + sizeof(ItemPointerData));
}

/* The size of the element tuple of a node of this level holding vec (HnswLinksInline). */
Size
HnswElementSize(const HnswIndexInfo *info, int level, const void *vec)
{
	if (HnswLinksInline(info, level, vec))
		return inline_element_size(info, level, vec);
	return split_element_size(info, vec);
}

Size
HnswNeighbourSize(int m, int level)
{
	return MAXALIGN(HNSW_NEIGHBOUR_HEADER_SIZE + HnswSlotsSize(m, level));
}

/*
 * Sets info's max_level: the highest level a node may get, its slots fitting a page in one
 * tuple or the other (a neighbour tuple is always smaller than the element tuple that would
 * hold the same slots); -1 when not even a bare element tuple of the largest value fits.
 */
void
HnswSetLevels(HnswIndexInfo *info)
{
	Size		max = HnswMaxTupleSize();

	info->max_level = -1;
	if (split_element_size(info, NULL) > max)
		return;
	while (info->max_level < HNSW_MAX_LEVEL && HnswNeighbourSize(info->m, info->max_level + 1) <= max)
		info->max_level++;
}

/* Whether a node of this level holding vec keeps its slots in its element tuple. */
bool
HnswLinksInline(const HnswIndexInfo *info, int level, const void *vec)
{
	return inline_element_size(info, level, vec) <= HnswMaxTupleSize();
}

static void
clear_slots(HnswLinkData *links, int n)
{
	for (int i = 0; i < n; i++)
		ItemPointerSetInvalid(&links[i].tid);
}

/*
 * A new element tuple for a node of this level holding vec, with no heap TIDs, its slots
 * empty if inline (HnswLinksInline), else no neighbour tuple yet (the caller sets
 * HnswSlotsTid).
 */
HnswElementTuple
HnswFormElement(const HnswIndexInfo *info, int level, const void *vec, Size *size)
{
	HnswElementTuple tup;
	bool		inline_links = HnswLinksInline(info, level, vec);

	*size = HnswElementSize(info, level, vec);
	tup = palloc0(*size);
	tup->kind = HNSW_TUPLE_ELEMENT;
	tup->level = level;
	tup->flags = inline_links ? 0 : HNSW_ELEMENT_SPLIT;
	memcpy(tup->data, vec, HnswValueSize(info, vec));
	if (inline_links)
		clear_slots(HnswInlineLinks(info, tup), HnswLinkCount(info->m, level));
	else
		ItemPointerSetInvalid(HnswSlotsTid(info, tup));
	return tup;
}

/* A new neighbour tuple for a node of this level, its slots empty, owner not set. */
HnswNeighbourTuple
HnswFormNeighbours(const HnswIndexInfo *info, int level, Size *size)
{
	HnswNeighbourTuple tup;

	*size = HnswNeighbourSize(info->m, level);
	tup = palloc0(*size);
	tup->kind = HNSW_TUPLE_NEIGHBOURS;
	tup->level = level;
	ItemPointerSetInvalid(&tup->owner);
	clear_slots(tup->links, HnswLinkCount(info->m, level));
	return tup;
}

/* The slots inside an element tuple, or NULL when they are in a neighbour tuple. */
HnswLinkData *
HnswInlineLinks(const HnswIndexInfo *info, HnswElementTuple tup)
{
	if (tup->flags & HNSW_ELEMENT_SPLIT)
		return NULL;
	return (HnswLinkData *) (tup->data + HnswVectorSize(info, tup->data));
}

/* Where a split element tuple keeps its neighbour tuple's TID, or NULL if it is not split. */
ItemPointer
HnswSlotsTid(const HnswIndexInfo *info, HnswElementTuple tup)
{
	if (!(tup->flags & HNSW_ELEMENT_SPLIT))
		return NULL;
	return (ItemPointer) (tup->data + HnswVectorSize(info, tup->data));
}

static void *
tuple_at(Page page, OffsetNumber off, uint8 kind)
{
	ItemId		item;
	char	   *tup;

	if (PageIsNew(page) || HnswPageGetOpaque(page)->flags != HNSW_PAGE_NODES ||
		off < FirstOffsetNumber || off > PageGetMaxOffsetNumber(page))
		return NULL;
	item = PageGetItemId(page, off);
	if (!ItemIdIsNormal(item))
		return NULL;
	tup = PageGetItem(page, item);
	return *(uint8 *) tup == kind ? tup : NULL;
}

/* The element tuple at id on a page the caller has locked, or NULL if that slot holds none. */
HnswElementTuple
HnswElementOnPage(Page page, uint64 id)
{
	return tuple_at(page, (OffsetNumber) (id & 0xFFFF), HNSW_TUPLE_ELEMENT);
}

/* The neighbour tuple at off on a locked page, whoever owns it; NULL if none. */
HnswNeighbourTuple
HnswNeighboursAt(Page page, OffsetNumber off)
{
	return tuple_at(page, off, HNSW_TUPLE_NEIGHBOURS);
}

/* The neighbour tuple at tid that belongs to node owner, on a locked page; NULL if none. */
HnswNeighbourTuple
HnswNeighboursOnPage(Page page, const ItemPointerData *tid, uint64 owner)
{
	HnswNeighbourTuple tup = HnswNeighboursAt(page, ItemPointerGetOffsetNumberNoCheck(tid));

	if (tup == NULL || HnswTidToId(&tup->owner) != owner)
		return NULL;
	return tup;
}
