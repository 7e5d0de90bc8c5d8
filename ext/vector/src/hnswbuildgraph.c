/*
 * hnswbuildgraph.c: the graph CREATE INDEX builds in memory before writing pages: nodes in one
 * arena (hnswbuild.h), added by the same search and selection code as inserts (hnswutils.c,
 * through the HnswGraph interface), in the backend's memory for a serial build or in a shared
 * memory segment that a leader and its parallel workers add to at once.
 *
 * Shared, the graph is guarded so: the arena's spinlock for allocating a node and for the
 * entry node; each node's LWLock for its slots and heap TIDs (shared to copy its neighbours
 * out, exclusive to add a link or a heap TID). A node's vector and level never change once
 * written, and a node becomes reachable only when a link to it is stored under another
 * node's lock, after its vector, level and own slots are written: so reading a vector takes
 * no lock. A process never holds two node locks at once.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "hnswbuild.h"

#define LOCAL_ARENA_FIRST_SIZE	((Size) 8 * 1024 * 1024)

/* Sizes ------------------------------------------------------------------------------------ */

static Size
slots_size(int nlinks)
{
	return (sizeof(int32) + sizeof(float) + sizeof(bool)) * nlinks;
}

/* The bytes of a node's half-precision search copy (HnswHalfSearchInfo), 0 if it has none. */
static Size
search_copy_size(const HnswIndexInfo *info)
{
	HnswIndexInfo half_info;

	return HnswHalfSearchInfo(info, &half_info) ? INTALIGN(half_info.max_value_size) : 0;
}

/* The bytes of a node's data (its value, then its slots) from the arena's front. */
static Size
node_data_size(const HnswIndexInfo *info, int level, const void *vec)
{
	return MAXALIGN(HnswVectorSize(info, vec) + slots_size(HnswLinkCount(info->m, level)));
}

/*
 * The arena bytes one node of this level holding vec takes: its data and its header (vec
 * NULL: for the largest value the index accepts).
 */
Size
HnswBuildNodeSize(const HnswIndexInfo *info, int level, const void *vec)
{
	return node_data_size(info, level, vec) + HnswBuildHeaderSize(info);
}

/* The bytes of a node header: HnswBuildNode, then the node's search copy if any. */
Size
HnswBuildHeaderSize(const HnswIndexInfo *info)
{
	return MAXALIGN(MAXALIGN(sizeof(HnswBuildNode)) + search_copy_size(info));
}

/*
 * A node's size on average, at most: a node has 1 / (m - 1) layers above layer 0 on average;
 * its value is taken at its largest (a sparse vector's is often smaller).
 */
Size
HnswBuildExpectedNodeSize(const HnswIndexInfo *info)
{
	return HnswBuildNodeSize(info, 0, NULL) + slots_size(info->m) / (info->m - 1) + 1;
}

void
HnswBuildNodeSlots(const HnswBuildGraph *bg, const HnswBuildNode *node, int32 **links, float **dists, bool **pruned)
{
	int			nlinks = HnswLinkCount(bg->info->m, node->level);
	char	   *data = HnswBuildNodeData(bg->arena, node);
	char	   *p = data + HnswVectorSize(bg->info, data);

	*links = (int32 *) p;
	*dists = (float *) (p + sizeof(int32) * nlinks);
	*pruned = (bool *) (p + (sizeof(int32) + sizeof(float)) * nlinks);
}

/* The arena --------------------------------------------------------------------------------- */

void
HnswBuildArenaInit(HnswBuildArena *arena, Size size, bool shared, int lock_tranche, Size header_size)
{
	SpinLockInit(&arena->mutex);
	arena->size = size;
	arena->front = MAXALIGN(sizeof(HnswBuildArena));
	arena->count = 0;
	arena->entry = -1;
	arena->entry_level = -1;
	arena->full = false;
	arena->shared = shared;
	arena->lock_tranche = lock_tranche;
	arena->header_size = header_size;
}

/* A serial build's arena, in the current memory context; it grows up to limit bytes. */
HnswBuildArena *
HnswBuildLocalArena(Size limit, const HnswIndexInfo *info)
{
	Size		size = Max(Min(limit, LOCAL_ARENA_FIRST_SIZE), MAXALIGN(sizeof(HnswBuildArena)) + 1024);
	HnswBuildArena *arena = MemoryContextAllocHuge(CurrentMemoryContext, size);

	HnswBuildArenaInit(arena, size, false, 0, HnswBuildHeaderSize(info));
	return arena;
}

/* Doubles a local arena (up to its limit), moving the node headers to its new end. */
static bool
grow_local_arena(HnswBuildGraph *bg)
{
	HnswBuildArena *arena = bg->arena;
	Size		old_size = arena->size;
	Size		new_size = Min(old_size * 2, bg->limit);
	Size		headers = arena->header_size * arena->count;

	if (arena->shared || new_size <= old_size)
		return false;
	arena = repalloc_huge(arena, new_size);
	memmove((char *) arena + new_size - headers, (char *) arena + old_size - headers, headers);
	arena->size = new_size;
	bg->arena = arena;
	return true;
}

static void
lock_node(const HnswBuildGraph *bg, HnswBuildNode *node, LWLockMode mode)
{
	if (bg->arena->shared)
		LWLockAcquire(&node->lock, mode);
}

static void
unlock_node(const HnswBuildGraph *bg, HnswBuildNode *node)
{
	if (bg->arena->shared)
		LWLockRelease(&node->lock);
}

/*
 * Takes room for a node of this level holding vec: its number, or -1 when it does not fit (then the graph
 * is full and takes no more nodes).
 */
static int64
reserve_node(HnswBuildGraph *bg, int level, const void *vec)
{
	Size		data = node_data_size(bg->info, level, vec);
	HnswBuildArena *arena;
	int64		id = -1;

	for (;;)
	{
		arena = bg->arena;
		SpinLockAcquire(&arena->mutex);
		if (!arena->full &&
			arena->front + data + arena->header_size * (arena->count + 1) <= arena->size)
		{
			id = arena->count++;
			HnswBuildNodeAt(arena, id)->data = arena->front;
			arena->front += data;
		}
		else if (!arena->shared && !arena->full)
		{
			SpinLockRelease(&arena->mutex);
			if (grow_local_arena(bg))
				continue;
			SpinLockAcquire(&arena->mutex);
			arena->full = true;
		}
		else
			arena->full = true;
		SpinLockRelease(&arena->mutex);
		return id;
	}
}

/* Where a node's half-precision search copy is, when nodes have one: after its header. */
static inline char *
search_copy(const HnswBuildNode *node)
{
	return (char *) node + MAXALIGN(sizeof(HnswBuildNode));
}

/* A new node holding vec and heaptid, with empty slots: its number, or -1 if full. */
static int64
new_node(HnswBuildGraph *bg, const void *vec, int level, ItemPointer heaptid)
{
	int64		id = reserve_node(bg, level, vec);
	HnswBuildNode *node;
	int32	   *links;
	float	   *dists;
	bool	   *pruned;
	int			nlinks = HnswLinkCount(bg->info->m, level);

	if (id < 0)
		return -1;
	node = HnswBuildNodeAt(bg->arena, id);
	if (bg->arena->shared)
		LWLockInitialize(&node->lock, bg->arena->lock_tranche);
	node->level = level;
	node->nheaptids = 1;
	node->heaptids[0] = *heaptid;
	memcpy(HnswBuildNodeData(bg->arena, node), vec, HnswValueSize(bg->info, vec));
	if (bg->copy_size > 0)
		HnswHalfSearchCopy(bg->info->dims, vec, search_copy(node));
	HnswBuildNodeSlots(bg, node, &links, &dists, &pruned);
	for (int i = 0; i < nlinks; i++)
	{
		links[i] = -1;
		dists[i] = 0;
		pruned[i] = false;
	}
	return id;
}

/* The graph for the search code ------------------------------------------------------------- */

/* What the searches compare: node's value, or its half-precision copy if nodes have one. */
static const char *
search_value(const HnswBuildGraph *bg, const HnswBuildNode *node)
{
	if (bg->copy_size > 0)
		return search_copy(node);
	return HnswBuildNodeData(bg->arena, node);
}

static bool
build_visit(HnswGraph *g, uint64 id, const void *query, HnswCandidate *c)
{
	HnswBuildGraph *bg = (HnswBuildGraph *) g->ctx;
	HnswBuildNode *node = HnswBuildNodeAt(bg->arena, (int64) id);

	c->dist = HnswDistance(g->info, query, search_value(bg, node));
	HnswDenseMapPutDistance(&bg->met, id, c->dist);	/* the query is the node being added */
	c->level = node->level;
	c->nheaptids = 0;
	return true;
}

static int
build_neighbours(HnswGraph *g, uint64 id, int layer, uint64 *out)
{
	HnswBuildGraph *bg = (HnswBuildGraph *) g->ctx;
	HnswBuildNode *node = HnswBuildNodeAt(bg->arena, (int64) id);
	int32	   *links;
	float	   *dists;
	bool	   *pruned;
	int			n = 0;

	if (layer > node->level)
		return 0;
	HnswBuildNodeSlots(bg, node, &links, &dists, &pruned);
	links += HnswLayerOffset(g->info->m, layer);
	lock_node(bg, node, LW_SHARED);
	for (int i = 0; i < HnswLayerSlots(g->info->m, layer); i++)
		if (links[i] >= 0)
			out[n++] = (uint64) links[i];
	unlock_node(bg, node);
	return n;
}

static const void *
build_vector(HnswGraph *g, uint64 id)
{
	HnswBuildGraph *bg = (HnswBuildGraph *) g->ctx;

	return search_value(bg, HnswBuildNodeAt(bg->arena, (int64) id));
}

/*
 * Starts loading the nodes a search is about to visit into the CPU cache, so their misses
 * overlap instead of stalling one after another: with search copies, the first lines of each
 * header and the copy after it; else first their headers (which say where each value is),
 * then the first lines of each value. The hardware prefetcher follows on as the distance
 * kernel reads on.
 */
static void
build_prefetch(HnswGraph *g, const uint64 *ids, int n)
{
	HnswBuildGraph *bg = (HnswBuildGraph *) g->ctx;

	if (bg->copy_size > 0)
	{
		/* the header and the copy after it: no need to read anything first */
		for (int i = 0; i < n; i++)
			for (Size off = 0; off < bg->arena->header_size; off += 64)
				__builtin_prefetch((char *) HnswBuildNodeAt(bg->arena, (int64) ids[i]) + off);
		return;
	}
	for (int i = 0; i < n; i++)
		__builtin_prefetch(HnswBuildNodeAt(bg->arena, (int64) ids[i]));
	for (int i = 0; i < n; i++)
	{
		const char *value = HnswBuildNodeData(bg->arena, HnswBuildNodeAt(bg->arena, (int64) ids[i]));

		for (int line = 0; line < 4; line++)
			__builtin_prefetch(value + 64 * line);
	}
}

/*
 * This process's view of an arena (bg must stay where it is while the graph is used; its
 * visited set lives in the current memory context).
 */
void
HnswBuildGraphAttach(HnswBuildGraph *bg, HnswBuildArena *arena, HnswIndexInfo *info)
{
	bg->arena = arena;
	bg->info = info;
	bg->limit = arena->size;
	memset(&bg->graph, 0, sizeof(bg->graph));
	bg->graph.info = info;
	bg->copy_size = 0;
	if (HnswHalfSearchInfo(info, &bg->search_info))
	{
		bg->graph.info = &bg->search_info;
		bg->copy_size = INTALIGN(bg->search_info.max_value_size);
		bg->query = palloc(bg->copy_size);
	}
	bg->graph.ctx = bg;
	bg->graph.visit = build_visit;
	bg->graph.neighbours = build_neighbours;
	bg->graph.vector = build_vector;
	bg->graph.vectors = NULL;
	bg->graph.prefetch = build_prefetch;
	HnswDenseMapInit(&bg->visited, false);
	HnswDenseMapInit(&bg->met, true);
	bg->graph.dense_visited = &bg->visited;
}

/* Adding nodes ------------------------------------------------------------------------------ */

static void
set_slot(int32 *links, float *dists, bool *pruned, int slot, const HnswNeighbour *chosen)
{
	links[slot] = (int32) chosen->id;
	dists[slot] = chosen->dist;
	pruned[slot] = chosen->pruned;
}

/* The distance between the new node (vec) and node id: as its search measured it, or now. */
static float
distance_to_new(HnswBuildGraph *bg, const void *vec, int32 id)
{
	float		d;

	if (HnswDenseMapGetDistance(&bg->met, (uint64) id, &d))
		return d;
	return HnswDistance(bg->info, vec, HnswBuildNodeData(bg->arena, HnswBuildNodeAt(bg->arena, id)));
}

/* The slot of the farthest link (pruned ones only, if asked); -1 if none. */
static int
farthest_slot(const int32 *links, const float *dists, const bool *pruned, int max, bool pruned_only)
{
	int			far = -1;

	for (int i = 0; i < max; i++)
		if (links[i] >= 0 && (!pruned_only || pruned[i]) && (far < 0 || dists[i] > dists[far]))
			far = i;
	return far;
}

/*
 * Links node `from` to the new node `to` (vector vec, at dist from `from`) on a layer, as
 * inserts do (hnswinsert.c's link_new_node, on the build's arrays): `to` is kept if no kept
 * link nearer to `from` is nearer to `to`; kept, it takes a free slot, else the farthest
 * pruned link's, else the farthest link's if that is farther; kept links farther than `to`
 * and nearer to it than to `from` become pruned. A pruned `to` takes a free slot or the
 * farthest pruned link's if that is farther. Distances to `to` come from its search (bg->met).
 */
static void
add_link(HnswBuildGraph *bg, const void *vec, int64 from, int layer, int64 to, float dist)
{
	int			max = HnswLayerSlots(bg->info->m, layer);
	int			first = HnswLayerOffset(bg->info->m, layer);
	HnswBuildNode *node = HnswBuildNodeAt(bg->arena, from);
	int32	   *links;
	float	   *dists;
	bool	   *pruned;
	bool		diverse = true;
	int			slot = -1;

	HnswBuildNodeSlots(bg, node, &links, &dists, &pruned);
	links += first;
	dists += first;
	pruned += first;
	lock_node(bg, node, LW_EXCLUSIVE);
	for (int i = 0; i < max; i++)
		if (slot < 0 && links[i] < 0)
			slot = i;
	for (int i = 0; i < max && diverse; i++)
		if (links[i] >= 0 && !pruned[i] && dists[i] < dist &&
			distance_to_new(bg, vec, links[i]) < dist)
			diverse = false;
	if (slot < 0)
	{
		slot = farthest_slot(links, dists, pruned, max, true);
		if (slot < 0 && diverse)
			slot = farthest_slot(links, dists, pruned, max, false);
		if (slot < 0 || (dists[slot] <= dist && (!diverse || !pruned[slot])))
		{
			unlock_node(bg, node);
			return;
		}
	}
	set_slot(links, dists, pruned, slot, &(HnswNeighbour) {(uint64) to, dist, !diverse});
	for (int i = 0; diverse && i < max; i++)
		if (i != slot && links[i] >= 0 && !pruned[i] && dists[i] > dist &&
			distance_to_new(bg, vec, links[i]) < dists[i])
			pruned[i] = true;
	unlock_node(bg, node);
}

/*
 * If the nearest node met (searching for query: vec or its copy) holds the same vector and
 * has room, adds heaptid to it.
 */
static bool
add_to_same_vector(HnswBuildGraph *bg, const void *vec, const void *query, const HnswCandidate *nearest,
				   ItemPointer heaptid)
{
	HnswBuildNode *same;
	bool		added = false;

	if (!HnswMaybeSameVector(bg->graph.info, query, nearest))
		return false;
	same = HnswBuildNodeAt(bg->arena, (int64) nearest->id);
	if (!HnswSameValue(bg->info, HnswBuildNodeData(bg->arena, same), vec))
		return false;
	lock_node(bg, same, LW_EXCLUSIVE);
	if (same->nheaptids < HNSW_MAX_HEAPTIDS)
	{
		same->heaptids[same->nheaptids++] = *heaptid;
		added = true;
	}
	unlock_node(bg, same);
	return added;
}

/*
 * Gives node id its chosen neighbours, then links each of them back to it. Searched with
 * half-precision copies, the chosen neighbours' distances are measured again on the values,
 * so that slots hold exact distances as everywhere else in the index.
 */
static void
link_node(HnswBuildGraph *bg, const void *vec, int64 id, int top, HnswLayerChoice *layers)
{
	HnswBuildNode *node = HnswBuildNodeAt(bg->arena, id);
	int32	   *links;
	float	   *dists;
	bool	   *pruned;

	if (bg->copy_size > 0)
		for (int layer = 0; layer <= top; layer++)
			for (int i = 0; i < layers[layer].count; i++)
			{
				HnswNeighbour *chosen = &layers[layer].chosen[i];

				chosen->dist = HnswDistance(bg->info, vec,
											HnswBuildNodeData(bg->arena, HnswBuildNodeAt(bg->arena, (int64) chosen->id)));
			}
	HnswBuildNodeSlots(bg, node, &links, &dists, &pruned);
	for (int layer = 0; layer <= top; layer++)
		for (int i = 0; i < layers[layer].count; i++)
			set_slot(links, dists, pruned, HnswLayerOffset(bg->info->m, layer) + i, &layers[layer].chosen[i]);
	for (int layer = 0; layer <= top; layer++)
		for (int i = 0; i < layers[layer].count; i++)
			add_link(bg, vec, (int64) layers[layer].chosen[i].id, layer, id, layers[layer].chosen[i].dist);
}

static bool
read_entry(HnswBuildGraph *bg, int64 *entry, int *entry_level)
{
	bool		full;

	SpinLockAcquire(&bg->arena->mutex);
	*entry = bg->arena->entry;
	*entry_level = bg->arena->entry_level;
	full = bg->arena->full;
	SpinLockRelease(&bg->arena->mutex);
	return !full;
}

/*
 * Makes node id the entry if the graph has none yet (true); else sets *entry and
 * *entry_level to the entry another process's node became meanwhile.
 */
static bool
claim_first_entry(HnswBuildGraph *bg, int64 id, int level, int64 *entry, int *entry_level)
{
	bool		claimed = false;

	SpinLockAcquire(&bg->arena->mutex);
	if (bg->arena->entry < 0)
	{
		bg->arena->entry = id;
		bg->arena->entry_level = level;
		claimed = true;
	}
	*entry = bg->arena->entry;
	*entry_level = bg->arena->entry_level;
	SpinLockRelease(&bg->arena->mutex);
	return claimed;
}

/* Makes node id the entry if its level is above the entry's (which may have risen since). */
static void
raise_entry(HnswBuildGraph *bg, int64 id, int level)
{
	SpinLockAcquire(&bg->arena->mutex);
	if (level > bg->arena->entry_level)
	{
		bg->arena->entry = id;
		bg->arena->entry_level = level;
	}
	SpinLockRelease(&bg->arena->mutex);
}

/*
 * Adds a vector (prepared: normalised if need be) for heap row heaptid. False when the graph
 * is full: nothing was added, and nothing more will be.
 */
bool
HnswBuildAdd(HnswBuildGraph *bg, const void *vec, ItemPointer heaptid)
{
	int			level = HnswRandomLevel(bg->info->m, bg->info->max_level);
	HnswLayerChoice layers[HNSW_MAX_LEVEL + 1];
	HnswCandidate *nearest;
	const void *query = vec;
	int64		entry;
	int			entry_level;
	int64		id = -1;

	if (!read_entry(bg, &entry, &entry_level))
		return false;
	if (entry < 0)
	{
		/* the first node, unless another process's came first: then link this one to it */
		if ((id = new_node(bg, vec, level, heaptid)) < 0)
			return false;
		if (claim_first_entry(bg, id, level, &entry, &entry_level))
			return true;
	}
	if (bg->copy_size > 0)
	{
		HnswHalfSearchCopy(bg->info->dims, vec, bg->query);
		query = bg->query;
	}
	HnswDenseMapClear(&bg->met);
	nearest = HnswSearchLayers(&bg->graph, query, level, (uint64) entry, entry_level, layers, NULL);
	if (id < 0 && add_to_same_vector(bg, vec, query, nearest, heaptid))
		return true;
	HnswSelectLayers(&bg->graph, Min(level, entry_level), layers);
	if (id < 0 && (id = new_node(bg, vec, level, heaptid)) < 0)
		return false;
	link_node(bg, vec, id, Min(level, entry_level), layers);
	if (level > entry_level)
		raise_entry(bg, id, level);
	CHECK_FOR_INTERRUPTS();
	return true;
}
