/*
 * hnswutils.c: what every part of the hnsw index shares: distances and value preparation,
 * random levels, pages and the meta page, the graph read through the buffer manager (a node's
 * element tuple, and its slots wherever they are: HnswLockLinks),
 * and the HNSW algorithms themselves (best-first search on a layer, greedy descent, the
 * neighbour-selection heuristic) written once against the HnswGraph interface, so the build
 * (in memory), inserts, scans and VACUUM (on pages) run the same code.
 *
 * Everything returned is palloc'd in the caller's current memory context.
 */
#include "postgres.h"

#include <math.h>

#include "access/generic_xlog.h"
#include "miscadmin.h"
#include "common/pg_prng.h"
#include "storage/bufpage.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "hnsw.h"
#include "recent_buffers.h"
#include "vector_kernels.h"

/* Distances and values -------------------------------------------------------------------- */

float
HnswDistance(HnswIndexInfo *info, const void *a, const void *b)
{
	if (info->distance != NULL)
	{
		float		d = info->distance(info->dims, a, b);

		return info->negate ? -d : d;
	}
	{
		Datum		va = info->type->to_datum(info->dims, a);
		Datum		vb = info->type->to_datum(info->dims, b);
		double		d;

		d = DatumGetFloat8(FunctionCall2Coll(info->distance_proc, info->collation, va, vb));
		pfree(DatumGetPointer(va));
		pfree(DatumGetPointer(vb));
		return (float) d;
	}
}

/* A palloc'd copy of value in its stored form; dims_error (%d, %d) if its dimensions differ. */
static void *
copy_of_index_dims(HnswIndexInfo *info, Datum value, const char *dims_error)
{
	int			dims = info->type->dims_of(value);

	if (dims != info->dims)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg(dims_error, info->dims, dims)));
	return info->type->copy(value);
}

/*
 * A value to index, in its stored form (palloc'd), normalised under cosine. NULL when the
 * value cannot be indexed: a zero vector under cosine distance. Errors out for a value of
 * other dimensions, or one its type refuses to store (a sparsevec with too many non-zero
 * elements).
 */
void *
HnswPrepareValue(HnswIndexInfo *info, Datum value)
{
	void	   *stored = copy_of_index_dims(info, value, "expected %d dimensions, not %d");

	if (info->type->check != NULL)
		info->type->check(info->dims, stored);
	if (info->normalize && !info->type->normalize(info->dims, stored))
		return NULL;
	return stored;
}

/*
 * A query value in the index's terms (palloc'd): normalised under cosine; all zeros for a zero
 * vector under cosine. Unlike an indexed value, it may exceed the type's storage limits.
 */
void *
HnswPrepareQuery(HnswIndexInfo *info, Datum value)
{
	void	   *query = copy_of_index_dims(info, value, info->type->dims_error);

	if (info->normalize && !info->type->normalize(info->dims, query))
		memset(query, 0, HnswValueSize(info, query));
	return query;
}

/* Levels (the cap comes from HnswSetLevels) ----------------------------------------------- */

/* floor(-ln(U) / ln(m)), U uniform in (0, 1], capped. */
int
HnswRandomLevel(int m, int max_level)
{
	double		u = 1.0 - pg_prng_double(&pg_global_prng_state);
	int			level = (int) floor(-log(u) / log((double) m));

	return Min(level, max_level);
}

/* Pages ----------------------------------------------------------------------------------- */

void
HnswInitPage(Page page, uint16 flags)
{
	HnswPageOpaqueData *opaque;

	PageInit(page, BLCKSZ, sizeof(HnswPageOpaqueData));
	opaque = HnswPageGetOpaque(page);
	opaque->flags = flags;
	opaque->page_id = HNSW_PAGE_ID;
}

void
HnswInitMetaPage(Page page, HnswIndexInfo *info)
{
	HnswMetaData *meta;

	HnswInitPage(page, HNSW_PAGE_META);
	meta = HnswPageGetMeta(page);
	meta->magic = HNSW_MAGIC;
	meta->version = HNSW_VERSION;
	meta->dims = info->dims;
	meta->m = info->m;
	meta->ef_construction = info->ef_construction;
	ItemPointerSetInvalid(&meta->entry);
	meta->entry_level = -1;
	((PageHeader) page)->pd_lower = (char *) meta + sizeof(HnswMetaData) - (char *) page;
}

void
HnswReadMeta(Relation index, HnswMetaData *meta)
{
	Buffer		buf = ReadBuffer(index, HNSW_METAPAGE_BLKNO);
	Page		page;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	*meta = *HnswPageGetMeta(page);
	UnlockReleaseBuffer(buf);
	if (meta->magic != HNSW_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" is not an hnsw index", RelationGetRelationName(index))));
	if (meta->version < HNSW_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index \"%s\" was built by an older version of the vector extension; REINDEX it",
						RelationGetRelationName(index)),
				 errdetail("Its page layout is version %u; this version of the extension reads version %u.",
						   meta->version, HNSW_VERSION)));
	if (meta->version > HNSW_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index \"%s\" was built by a newer version of the vector extension",
						RelationGetRelationName(index)),
				 errdetail("Its page layout is version %u; this version of the extension reads version %u.",
						   meta->version, HNSW_VERSION)));
}

/* Errors out unless the index's pages are in this version's layout (see HnswReadMeta). */
void
HnswCheckVersion(Relation index)
{
	HnswMetaData meta;

	HnswReadMeta(index, &meta);
}

/* The graph on pages ---------------------------------------------------------------------- */

/* where each block of the last hnsw index this backend read was found (recent_buffers.h) */
static RecentBuffers index_buffers;

/* Pins block blkno of the index, through the recent-buffer hint when it is right. */
static Buffer
pin_node_page(Relation index, BlockNumber blkno)
{
	return RecentBuffersPin(&index_buffers, index, blkno, NULL);
}

static Buffer
lock_node_page(Relation index, uint64 id)
{
	BlockNumber blkno = (BlockNumber) (id >> 16);
	Buffer		buf;

	if (blkno == HNSW_METAPAGE_BLKNO || blkno == InvalidBlockNumber)
		return InvalidBuffer;
	buf = pin_node_page(index, blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	return buf;
}

static bool
disk_visit(HnswGraph *g, uint64 id, const void *query, HnswCandidate *c)
{
	Relation	index = (Relation) g->ctx;
	Buffer		buf = lock_node_page(index, id);
	HnswElementTuple node;

	if (!BufferIsValid(buf))
		return false;
	node = HnswElementOnPage(BufferGetPage(buf), id);
	if (node == NULL)
	{
		UnlockReleaseBuffer(buf);
		return false;
	}
	c->dist = HnswDistance(g->info, query, HnswElementVector(node));
	c->level = node->level;
	c->nheaptids = node->nheaptids;
	memcpy(c->heaptids, node->heaptids, sizeof(ItemPointerData) * node->nheaptids);
	UnlockReleaseBuffer(buf);
	return true;
}

/*
 * Locks (in mode) the page holding node id's slots: its element tuple's, or its neighbour
 * tuple's; sets *links to the slots and *level to the node's level. InvalidBuffer if the node
 * is gone. A node's neighbour tuple never moves while the node can be reached, so following
 * the element tuple's pointer after unlocking its page is safe.
 */
Buffer
HnswLockLinks(Relation index, HnswIndexInfo *info, uint64 id, int mode, HnswLinkData **links, int *level)
{
	BlockNumber blkno = (BlockNumber) (id >> 16);
	Buffer		buf;
	HnswElementTuple node;
	HnswNeighbourTuple nb;
	ItemPointerData where;

	if (blkno == HNSW_METAPAGE_BLKNO || blkno == InvalidBlockNumber)
		return InvalidBuffer;
	buf = pin_node_page(index, blkno);
	LockBuffer(buf, mode);
	node = HnswElementOnPage(BufferGetPage(buf), id);
	if (node == NULL)
	{
		UnlockReleaseBuffer(buf);
		return InvalidBuffer;
	}
	*level = node->level;
	if ((*links = HnswInlineLinks(info, node)) != NULL)
		return buf;
	where = *HnswSlotsTid(info, node);
	if (ItemPointerGetBlockNumberNoCheck(&where) != blkno)
	{
		UnlockReleaseBuffer(buf);
		buf = pin_node_page(index, ItemPointerGetBlockNumberNoCheck(&where));
		LockBuffer(buf, mode);
	}
	nb = HnswNeighboursOnPage(BufferGetPage(buf), &where, id);
	if (nb == NULL)
	{
		UnlockReleaseBuffer(buf);
		return InvalidBuffer;
	}
	*links = nb->links;
	return buf;
}

static int
copy_links(const HnswLinkData *all, int m, int layer, uint64 *out)
{
	const HnswLinkData *links = all + HnswLayerOffset(m, layer);
	int			n = 0;

	for (int i = 0; i < HnswLayerSlots(m, layer); i++)
		if (ItemPointerIsValid(&links[i].tid))
			out[n++] = HnswTidToId(&links[i].tid);
	return n;
}

static int
disk_neighbours(HnswGraph *g, uint64 id, int layer, uint64 *out)
{
	Relation	index = (Relation) g->ctx;
	HnswLinkData *links;
	int			level;
	Buffer		buf = HnswLockLinks(index, g->info, id, BUFFER_LOCK_SHARE, &links, &level);
	int			n = 0;

	if (!BufferIsValid(buf))
		return 0;
	if (layer <= level)
		n = copy_links(links, g->info->m, layer, out);
	UnlockReleaseBuffer(buf);
	return n;
}

static const void *
disk_vector(HnswGraph *g, uint64 id)
{
	Relation	index = (Relation) g->ctx;
	Size		size;
	Buffer		buf;
	HnswElementTuple node;
	void	   *vec = NULL;

	if (g->vectors != NULL && (vec = HnswIdMapGet(g->vectors, id)) != NULL)
		return vec;
	buf = lock_node_page(index, id);
	if (!BufferIsValid(buf))
		return NULL;
	node = HnswElementOnPage(BufferGetPage(buf), id);
	if (node != NULL)
	{
		size = HnswValueSize(g->info, HnswElementVector(node));
		vec = palloc(size);
		memcpy(vec, HnswElementVector(node), size);
	}
	UnlockReleaseBuffer(buf);
	if (vec != NULL && g->vectors != NULL)
		HnswIdMapAdd(g->vectors, id, vec);
	return vec;
}

/*
 * Starts loading the nodes a search is about to visit into the CPU cache, so the misses on
 * their pages overlap instead of stalling one after another: first the line pointers of all
 * of them, then the tuples those point at. Only the recent-buffer hints are used, and only
 * to compute addresses inside shared buffers; nothing read here is trusted (a wrong address
 * costs a useless prefetch; the visit itself pins, locks and checks the page).
 */
static void
disk_prefetch(HnswGraph *g, const uint64 *ids, int n)
{
	Relation	index = (Relation) g->ctx;
	char	   *pages[64];

	n = Min(n, 64);
	for (int i = 0; i < n; i++)
	{
		BlockNumber blkno = (BlockNumber) (ids[i] >> 16);
		OffsetNumber off = (OffsetNumber) (ids[i] & 0xFFFF);
		Buffer		hint = RecentBuffersHint(&index_buffers, index, blkno);

		pages[i] = NULL;
		if (hint == InvalidBuffer || off < FirstOffsetNumber || off > MaxOffsetNumber)
			continue;
		pages[i] = BufferGetPage(hint);
		__builtin_prefetch(PageGetItemId(pages[i], off));
	}
	for (int i = 0; i < n; i++)
	{
		volatile ItemIdData *item;
		unsigned	lp_off;

		if (pages[i] == NULL)
			continue;
		item = (volatile ItemIdData *) PageGetItemId(pages[i], (OffsetNumber) (ids[i] & 0xFFFF));
		lp_off = item->lp_off;
		if (lp_off == 0 || lp_off >= BLCKSZ - 256)
			continue;
		for (int line = 0; line < 4; line++)
			__builtin_prefetch(pages[i] + lp_off + 64 * line);
	}
}

void
HnswInitDiskGraph(HnswGraph *g, Relation index, HnswIndexInfo *info)
{
	g->info = info;
	g->ctx = index;
	g->visit = disk_visit;
	g->neighbours = disk_neighbours;
	g->vector = disk_vector;
	g->prefetch = disk_prefetch;
	g->vectors = NULL;
	g->dense_visited = NULL;
}

/*
 * Keeps the vectors the graph copies from pages (in the current memory context) so each is
 * copied once: for an insert or a VACUUM page, where the same neighbours come up again and
 * again. A node's vector never changes while it can be reached, so the copies stay right.
 */
void
HnswCacheVectors(HnswGraph *g)
{
	g->vectors = palloc(sizeof(HnswIdMap));
	HnswIdMapInit(g->vectors, 1024);
}

/* Best-first search on one layer ---------------------------------------------------------- */

static int
nearest_first(const pairingheap_node *a, const pairingheap_node *b, void *arg)
{
	const HnswCandidate *ca = pairingheap_const_container(HnswCandidate, todo_node, a);
	const HnswCandidate *cb = pairingheap_const_container(HnswCandidate, todo_node, b);

	return ca->dist < cb->dist ? 1 : ca->dist > cb->dist ? -1 : 0;
}

static int
nearest_first_kept(const pairingheap_node *a, const pairingheap_node *b, void *arg)
{
	const HnswCandidate *ca = pairingheap_const_container(HnswCandidate, kept_node, a);
	const HnswCandidate *cb = pairingheap_const_container(HnswCandidate, kept_node, b);

	return ca->dist < cb->dist ? 1 : ca->dist > cb->dist ? -1 : 0;
}

static int
farthest_first_kept(const pairingheap_node *a, const pairingheap_node *b, void *arg)
{
	return -nearest_first_kept(a, b, arg);
}

#define TODO_OF(node)	pairingheap_container(HnswCandidate, todo_node, node)
#define KEPT_OF(node)	pairingheap_container(HnswCandidate, kept_node, node)

/* A visited map big enough for a layer-0 search with this ef not to grow, most of the time. */
static uint32
visited_map_size(int ef)
{
	uint32		size = 256;

	while (size < (uint32) ef * 32 && size < (1 << 20))
		size *= 2;
	return size;
}

/* Marks node id met by the current search; false if it was already. */
static bool
mark_met(HnswSearch *s, uint64 id)
{
	if (s->g->dense_visited != NULL)
		return HnswDenseMapAdd(s->g->dense_visited, id);
	return HnswIdMapAdd(&s->visited, id, NULL);
}

static bool
already_met(HnswSearch *s, uint64 id)
{
	if (s->g->dense_visited != NULL)
		return HnswDenseMapHas(s->g->dense_visited, id);
	return s->visited.keys[HnswIdMapSlot(&s->visited, id)] != 0;
}

void
HnswSearchInit(HnswSearch *s, HnswGraph *g, const void *query, int layer, int ef, bool keep_discarded)
{
	s->g = g;
	s->query = query;
	s->layer = layer;
	s->ef = ef;
	s->todo = pairingheap_allocate(nearest_first, NULL);
	s->results = pairingheap_allocate(farthest_first_kept, NULL);
	s->nresults = 0;
	s->discarded = keep_discarded ? pairingheap_allocate(nearest_first_kept, NULL) : NULL;
	if (g->dense_visited != NULL)
		HnswDenseMapClear(g->dense_visited);
	else
		HnswIdMapInit(&s->visited, layer == 0 ? visited_map_size(ef) : 64);
	s->nvisited = 0;
	s->spare = NULL;
	s->met = NULL;
}

static void
todo_push(HnswSearch *s, HnswCandidate *c)
{
	if (c->in_todo || c->expanded)
		return;
	c->in_todo = true;
	pairingheap_add(s->todo, &c->todo_node);
}

static void
keep_or_discard(HnswSearch *s, HnswCandidate *c)
{
	pairingheap_add(s->results, &c->kept_node);
	s->nresults++;
	if (s->nresults > s->ef)
	{
		HnswCandidate *far = KEPT_OF(pairingheap_remove_first(s->results));

		s->nresults--;
		if (s->discarded != NULL)
			pairingheap_add(s->discarded, &far->kept_node);
	}
}

/* Meets node id: computes its distance and keeps it if it is among the ef nearest so far. */
static void
search_meet(HnswSearch *s, uint64 id)
{
	HnswCandidate *c;

	if (!mark_met(s, id))
		return;
	c = s->spare != NULL ? s->spare : palloc(sizeof(HnswCandidate));
	s->spare = NULL;
	c->id = id;
	c->expanded = false;
	c->in_todo = false;
	if (!s->g->visit(s->g, id, s->query, c))
	{
		s->spare = c;
		return;
	}
	s->nvisited++;
	if (s->met != NULL)
		HnswDistanceMapPut(s->met, id, c->dist);
	if (s->nresults < s->ef || c->dist < KEPT_OF(pairingheap_first(s->results))->dist)
	{
		todo_push(s, c);
		keep_or_discard(s, c);
	}
	else if (s->discarded != NULL)
		pairingheap_add(s->discarded, &c->kept_node);
	else
		s->spare = c;			/* not kept: the next node met reuses it */
}

void
HnswSearchSeed(HnswSearch *s, uint64 id)
{
	search_meet(s, id);
}

static void
prefetch_unvisited(HnswSearch *s, const uint64 *links, int n)
{
	uint64		todo[64];
	int			count = 0;

	for (int i = 0; i < n && count < 64; i++)
		if (!already_met(s, links[i]))
			todo[count++] = links[i];
	if (count > 0)
		s->g->prefetch(s->g, todo, count);
}

void
HnswSearchRun(HnswSearch *s)
{
	uint64	   *links = palloc(sizeof(uint64) * HnswLayerSlots(s->g->info->m, s->layer));

	while (!pairingheap_is_empty(s->todo))
	{
		HnswCandidate *c = TODO_OF(pairingheap_first(s->todo));
		int			n;

		if (s->nresults >= s->ef && c->dist > KEPT_OF(pairingheap_first(s->results))->dist)
			break;
		pairingheap_remove_first(s->todo);
		c->in_todo = false;
		c->expanded = true;
		n = s->g->neighbours(s->g, c->id, s->layer, links);
		if (s->g->prefetch != NULL)
			prefetch_unvisited(s, links, n);
		for (int i = 0; i < n; i++)
			search_meet(s, links[i]);
		CHECK_FOR_INTERRUPTS();
	}
	pfree(links);
}

/*
 * The results, nearest first; the results heap is left empty. An iterative scan's nodes still
 * to expand stay for its next round.
 */
HnswCandidate **
HnswSearchTakeResults(HnswSearch *s, int *count)
{
	HnswCandidate **out = palloc(sizeof(HnswCandidate *) * Max(s->nresults, 1));
	int			n = s->nresults;

	for (int i = n - 1; i >= 0; i--)
		out[i] = KEPT_OF(pairingheap_remove_first(s->results));
	s->nresults = 0;
	if (s->discarded == NULL)
		pairingheap_reset(s->todo);
	*count = n;
	return out;
}

/*
 * Starts the next round of an iterative scan from the ef nearest discarded nodes (which may
 * lead to nodes never met). Returns how many it took; 0 means the layer is exhausted.
 */
int
HnswSearchReseed(HnswSearch *s)
{
	int			n = 0;

	while (n < s->ef && !pairingheap_is_empty(s->discarded))
	{
		HnswCandidate *c = KEPT_OF(pairingheap_remove_first(s->discarded));

		pairingheap_add(s->results, &c->kept_node);
		s->nresults++;
		todo_push(s, c);
		n++;
	}
	return n;
}

/* Greedy descent (ef = 1) from entry on from_level down to to_level (exclusive). */
uint64
HnswDescend(HnswGraph *g, const void *query, uint64 entry, int from_level, int to_level)
{
	for (int layer = from_level; layer > to_level; layer--)
	{
		HnswSearch	s;
		HnswCandidate **best;
		int			n;

		HnswSearchInit(&s, g, query, layer, 1, false);
		HnswSearchSeed(&s, entry);
		HnswSearchRun(&s);
		best = HnswSearchTakeResults(&s, &n);
		if (n > 0)
			entry = best[0]->id;
	}
	return entry;
}

/* Neighbour selection --------------------------------------------------------------------- */

/*
 * The paper's heuristic: walking the candidates nearest first, keep one only if it is nearer
 * to the base than to every one already kept; then fill spare slots with the pruned ones,
 * nearest first (marked pruned). sorted[] is nearest first, with distances from the base;
 * writes up to max neighbours to out, returns the count.
 */
int
HnswSelect(HnswGraph *g, HnswCandidate **sorted, int n, int max, HnswNeighbour *out)
{
	const void **kept_vecs;
	const void *vec;
	bool	   *taken;
	int			count = 0;

	if (n <= max)
	{
		for (int i = 0; i < n; i++)
			out[i] = (HnswNeighbour) {sorted[i]->id, sorted[i]->dist, false};
		return n;
	}
	kept_vecs = palloc(sizeof(void *) * max);
	taken = palloc0(sizeof(bool) * n);
	for (int i = 0; i < n && count < max; i++)
	{
		bool		good = true;

		vec = g->vector(g, sorted[i]->id);
		if (vec == NULL)
		{
			taken[i] = true;	/* gone: neither kept nor a filler */
			continue;
		}
		for (int j = 0; j < count && good; j++)
			if (HnswDistance(g->info, vec, kept_vecs[j]) < sorted[i]->dist)
				good = false;
		if (good)
		{
			kept_vecs[count] = vec;
			out[count++] = (HnswNeighbour) {sorted[i]->id, sorted[i]->dist, false};
			taken[i] = true;
		}
	}
	for (int i = 0; i < n && count < max; i++)
		if (!taken[i])
			out[count++] = (HnswNeighbour) {sorted[i]->id, sorted[i]->dist, true};
	pfree(kept_vecs);
	pfree(taken);
	return count;
}

static int
compare_candidates(const void *a, const void *b)
{
	const HnswCandidate *ca = *(HnswCandidate *const *) a;
	const HnswCandidate *cb = *(HnswCandidate *const *) b;

	return ca->dist < cb->dist ? -1 : ca->dist > cb->dist ? 1 : 0;
}

/*
 * Chooses at most max of ids (the neighbours a node at base would have) by the heuristic;
 * ids that are gone are dropped. Returns the count written to out.
 */
int
HnswPrune(HnswGraph *g, const void *base, const uint64 *ids, int n, int max, HnswNeighbour *out)
{
	HnswCandidate *cands = palloc(sizeof(HnswCandidate) * Max(n, 1));
	HnswCandidate **sorted = palloc(sizeof(HnswCandidate *) * Max(n, 1));
	int			live = 0;
	int			count;

	for (int i = 0; i < n; i++)
	{
		const void *vec = g->vector(g, ids[i]);

		if (vec == NULL)
			continue;
		cands[live].id = ids[i];
		cands[live].dist = HnswDistance(g->info, base, vec);
		sorted[live] = &cands[live];
		live++;
	}
	qsort(sorted, live, sizeof(HnswCandidate *), compare_candidates);
	count = HnswSelect(g, sorted, live, max, out);
	pfree(cands);
	pfree(sorted);
	return count;
}

/* Fills a page's neighbour slot from a chosen neighbour. */
void
HnswSetLink(HnswLinkData *link, const HnswNeighbour *chosen)
{
	HnswIdToTid(chosen->id, &link->tid);
	link->pruned = chosen->pruned;
	link->unused = 0;
	link->dist = chosen->dist;
}

/*
 * Searches each layer a new node of this level will have (up to the entry's level; the layers
 * above start empty) for its ef_construction nearest nodes, into layers[].found. met (if not
 * NULL, a distance map) gets the distance of every node the searches meet. Returns the nearest
 * node met on layer 0 (NULL if none), for spotting an identical vector before choosing.
 */
HnswCandidate *
HnswSearchLayers(HnswGraph *g, const void *vec, int level, uint64 entry, int entry_level,
				 HnswLayerChoice *layers, HnswIdMap *met)
{
	HnswCandidate **seeds = NULL;
	int			nseeds = 0;
	int			top = Min(level, entry_level);

	for (int layer = 0; layer <= level; layer++)
	{
		layers[layer].nfound = 0;
		layers[layer].count = 0;
	}
	entry = HnswDescend(g, vec, entry, entry_level, top);
	for (int layer = top; layer >= 0; layer--)
	{
		HnswSearch	s;
		HnswCandidate **found;
		int			n;

		HnswSearchInit(&s, g, vec, layer, g->info->ef_construction, false);
		s.met = met;
		if (nseeds == 0)
			HnswSearchSeed(&s, entry);
		else
			for (int i = 0; i < nseeds; i++)
				HnswSearchSeed(&s, seeds[i]->id);
		HnswSearchRun(&s);
		found = HnswSearchTakeResults(&s, &n);
		layers[layer].found = found;
		layers[layer].nfound = n;
		if (n > 0)
		{
			seeds = found;
			nseeds = n;
		}
	}
	return layers[0].nfound > 0 ? layers[0].found[0] : NULL;
}

/* Chooses, by the heuristic, the neighbours among what HnswSearchLayers found on each layer. */
void
HnswSelectLayers(HnswGraph *g, int level, HnswLayerChoice *layers)
{
	for (int layer = 0; layer <= level; layer++)
	{
		int			max = HnswLayerSlots(g->info->m, layer);

		layers[layer].chosen = palloc(sizeof(HnswNeighbour) * max);
		layers[layer].count = HnswSelect(g, layers[layer].found, layers[layer].nfound, max,
										 layers[layer].chosen);
	}
}

/* Whether a node met at dist from vec may hold the very same vector (then compare them). */
bool
HnswMaybeSameVector(HnswIndexInfo *info, const void *vec, const HnswCandidate *nearest)
{
	return nearest != NULL && nearest->dist == HnswDistance(info, vec, vec);
}
