/*
 * hnswidmap.c: open-addressing hash maps keyed by node id, for the graph code in hnswutils.c:
 * the nodes a search has met (HnswIdMapAdd), the vectors a graph has copied from pages
 * (HnswIdMapGet), and the distances an insert records for each node it meets
 * (HnswDistanceMapPut/Get). Ids are stored plus one, so 0 marks an empty slot; the table
 * doubles when half full. The probe itself (HnswIdMapSlot) is inline in hnsw.h. Everything lives in the memory context current at init.
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
