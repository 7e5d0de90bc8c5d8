/*
 * hnswidmap.c: open-addressing hash maps keyed by node id, for the graph code in hnswutils.c:
 * the nodes a search has met (HnswIdMapAdd), the vectors a graph has copied from pages
 * (HnswIdMapGet), and the distances an insert records for each node it meets
 * (HnswDistanceMapPut/Get). Ids are stored plus one, so 0 marks an empty slot; the table
 * doubles when half full. The probe itself (HnswIdMapSlot) is inline in hnsw.h. Everything lives in the memory context current at init.
 *
 * And the same two jobs, visited nodes and distances, for the build's graph, whose node
 * numbers are dense: HnswDenseMap, an array indexed by node number (no hashing, no probing).
 */
#include "postgres.h"

#include "hnsw.h"

void
HnswIdMapInit(HnswIdMap *map, uint32 size)
{
	map->size = size;
	map->count = 0;
	map->keys = palloc0(sizeof(uint64) * size);
	map->values = palloc(sizeof(void *) * size);
	map->dists = NULL;
}

/* A map from node id to a distance (no pointers): see HnswDistanceMapGet. */
void
HnswDistanceMapInit(HnswIdMap *map, uint32 size)
{
	HnswIdMapInit(map, size);
	map->dists = palloc(sizeof(float) * size);
}

static void
idmap_grow(HnswIdMap *map)
{
	HnswIdMap	bigger;

	if (map->dists != NULL)
		HnswDistanceMapInit(&bigger, map->size * 2);
	else
		HnswIdMapInit(&bigger, map->size * 2);
	for (uint32 i = 0; i < map->size; i++)
	{
		if (map->keys[i] != 0)
		{
			uint32		j = HnswIdMapSlot(&bigger, map->keys[i] - 1);

			bigger.keys[j] = map->keys[i];
			bigger.values[j] = map->values[i];
			if (map->dists != NULL)
				bigger.dists[j] = map->dists[i];
			bigger.count++;
		}
	}
	pfree(map->keys);
	pfree(map->values);
	if (map->dists != NULL)
		pfree(map->dists);
	*map = bigger;
}

/* Adds id with a value; false if id is there already. */
bool
HnswIdMapAdd(HnswIdMap *map, uint64 id, void *value)
{
	uint32		i;

	if ((map->count + 1) * 2 > map->size)
		idmap_grow(map);
	i = HnswIdMapSlot(map, id);
	if (map->keys[i] != 0)
		return false;
	map->keys[i] = id + 1;
	map->values[i] = value;
	map->count++;
	return true;
}

void *
HnswIdMapGet(const HnswIdMap *map, uint64 id)
{
	uint32		i = HnswIdMapSlot(map, id);

	return map->keys[i] != 0 ? map->values[i] : NULL;
}

void
HnswDistanceMapPut(HnswIdMap *map, uint64 id, float dist)
{
	uint32		i;

	if ((map->count + 1) * 2 > map->size)
		idmap_grow(map);
	i = HnswIdMapSlot(map, id);
	if (map->keys[i] == 0)
	{
		map->keys[i] = id + 1;
		map->values[i] = NULL;
		map->count++;
	}
	map->dists[i] = dist;
}

/* The distance recorded for id; false if none is. */
bool
HnswDistanceMapGet(const HnswIdMap *map, uint64 id, float *dist)
{
	uint32		i = HnswIdMapSlot(map, id);

	if (map->keys[i] == 0)
		return false;
	*dist = map->dists[i];
	return true;
}

/* Dense maps ------------------------------------------------------------------------------- */

#define DENSE_MAP_FIRST_CAPACITY 1024

/* An empty dense map, in the current memory context; with_dists: members carry a distance. */
void
HnswDenseMapInit(HnswDenseMap *map, bool with_dists)
{
	map->capacity = DENSE_MAP_FIRST_CAPACITY;
	map->stamps = palloc0(sizeof(uint16) * map->capacity);
	map->dists = with_dists ? palloc(sizeof(float) * map->capacity) : NULL;
	map->epoch = 1;
	map->ctx = CurrentMemoryContext;
}

void
HnswDenseMapClear(HnswDenseMap *map)
{
	if (++map->epoch == 0)
	{
		memset(map->stamps, 0, sizeof(uint16) * map->capacity);
		map->epoch = 1;
	}
}

static void
dense_map_make_room(HnswDenseMap *map, uint64 id)
{
	uint64		capacity;
	MemoryContext old;

	if (id < map->capacity)
		return;
	capacity = Max(map->capacity * 2, id + 1);
	old = MemoryContextSwitchTo(map->ctx);
	map->stamps = repalloc_huge(map->stamps, sizeof(uint16) * capacity);
	memset(map->stamps + map->capacity, 0, sizeof(uint16) * (capacity - map->capacity));
	if (map->dists != NULL)
		map->dists = repalloc_huge(map->dists, sizeof(float) * capacity);
	map->capacity = capacity;
	MemoryContextSwitchTo(old);
}

/* Adds id; false if it is there already. */
bool
HnswDenseMapAdd(HnswDenseMap *map, uint64 id)
{
	dense_map_make_room(map, id);
	if (map->stamps[id] == map->epoch)
		return false;
	map->stamps[id] = map->epoch;
	return true;
}

void
HnswDenseMapPutDistance(HnswDenseMap *map, uint64 id, float dist)
{
	dense_map_make_room(map, id);
	map->stamps[id] = map->epoch;
	map->dists[id] = dist;
}

/* The distance recorded for id; false if none is. */
bool
HnswDenseMapGetDistance(const HnswDenseMap *map, uint64 id, float *dist)
{
	if (!HnswDenseMapHas(map, id))
		return false;
	*dist = map->dists[id];
	return true;
}
