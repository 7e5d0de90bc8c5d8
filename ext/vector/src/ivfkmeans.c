/*
 * ivfkmeans.c: the k-means that finds an ivfflat index's list centres from a sample of rows.
 *
 * Plain arrays in, plain arrays out (samples and centres are stored values of the index's type,
 * item_size bytes each, one after another), so nothing here touches pages. The type
 * (IvfType, ivftypes.c) gives the distance and how a mean is formed: in float4, then stored
 * back (halves for halfvec, the majority bit for bit). Deterministic: a fixed seed, so the
 * same sample gives the same centres.
 *
 * - No sample (an empty table): random centres.
 * - No more samples than lists: the distinct samples, then random centres for the rest.
 * - Otherwise k-means++ seeding, then Elkan's k-means (exact Lloyd iterations that skip most
 *   distance computations through the triangle inequality, with a lower bound per sample and
 *   centre and an upper bound per sample), until no sample changes list or IVF_MAX_ITERATIONS.
 *   When the n x k lower bounds do not fit maintenance_work_mem, plain Lloyd iterations
 *   (every distance, every time) instead.
 *
 * Distances here are the type's metric (Euclidean; Hamming for bit), which Elkan's bounds
 * need. For the inner-product classes (`spherical`) the samples are unit vectors and each new
 * centre is normalised, which is spherical k-means: on unit vectors Euclidean order is
 * inner-product order.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "ivfflat.h"

#define IVF_MAX_ITERATIONS	500
#define IVF_KMEANS_SEED		UINT64CONST(0x1F1F5EED)

typedef struct Kmeans
{
	const IvfType *type;
	const char *x;				/* samples */
	int			n;
	int			dims;
	Size		size;			/* bytes of one sample or centre */
	int			k;
	bool		spherical;
	char	   *c;				/* centres */
	float	   *floats;			/* dims floats: a mean or a random centre being formed */
	int		   *assign;			/* each sample's centre */
	float	   *upper;			/* Elkan: >= distance to its centre */
	float	   *lower;			/* Elkan: n x k, <= distance to each centre; NULL for Lloyd */
	pg_prng_state rng;
} Kmeans;

static inline const char *
sample(const Kmeans *km, int i)
{
	return km->x + (Size) i * km->size;
}

static inline char *
centre(const Kmeans *km, int j)
{
	return km->c + (Size) j * km->size;
}

static inline float
distance(const Kmeans *km, const void *a, const void *b)
{
	return km->type->kmeans_distance(km->dims, a, b);
}

/* The memory the arrays below take for Elkan's variant, samples included. */
Size
IvfKmeansMemory(const IvfIndexInfo *info, int nsamples, int k)
{
	Size		values = info->item_size * ((Size) nsamples + 2 * (Size) k);
	Size		floats = sizeof(float) * (Size) info->dims;
	Size		per_sample = 2 * sizeof(int) + sizeof(float) + sizeof(float) * (Size) k;
	Size		centre_pairs = sizeof(float) * (Size) k * k;

	return values + floats + per_sample * nsamples + centre_pairs + (2 * sizeof(float) + sizeof(int)) * ((Size) k + 1);
}

/* A random centre: uniform in [-1, 1) on each axis (unit length for spherical), stored. */
static void
random_centre(Kmeans *km, void *out)
{
	do
	{
		for (int d = 0; d < km->dims; d++)
			km->floats[d] = (float) (pg_prng_double(&km->rng) * 2 - 1);
	} while (km->spherical && !IvfNormalize(km->dims, km->floats));
	km->type->from_floats(km->dims, km->floats, out);
}

static int
compare_values(const void *a, const void *b, void *arg)
{
	return memcmp(*(const char *const *) a, *(const char *const *) b, *(Size *) arg);
}

/* Few samples: each distinct sample is a centre, random ones fill the rest. */
static void
few_samples_centres(Kmeans *km)
{
	const char **sorted = palloc(sizeof(char *) * Max(km->n, 1));
	int			used = 0;

	for (int i = 0; i < km->n; i++)
		sorted[i] = sample(km, i);
	qsort_arg(sorted, km->n, sizeof(char *), compare_values, &km->size);
	for (int i = 0; i < km->n; i++)
		if (i == 0 || memcmp(sorted[i], sorted[i - 1], km->size) != 0)
			memcpy(centre(km, used++), sorted[i], km->size);
	for (int j = used; j < km->k; j++)
		random_centre(km, centre(km, j));
	pfree(sorted);
}

/*
 * k-means++: the first centre a random sample, each next one a sample drawn with probability
 * proportional to its squared distance to the nearest centre so far. Fills the Elkan lower
 * bounds on the way (the distances are computed anyway).
 */
static void
seed_centres(Kmeans *km)
{
	double	   *nearest = palloc(sizeof(double) * km->n);
	int			pick = (int) pg_prng_uint64_range(&km->rng, 0, km->n - 1);

	for (int i = 0; i < km->n; i++)
		nearest[i] = DBL_MAX;
	for (int j = 0; j < km->k; j++)
	{
		double		total = 0;

		memcpy(centre(km, j), sample(km, pick), km->size);
		for (int i = 0; i < km->n; i++)
		{
			float		d = distance(km, sample(km, i), centre(km, j));

			if (km->lower != NULL)
				km->lower[(Size) i * km->k + j] = d;
			nearest[i] = Min(nearest[i], (double) d * d);
			total += nearest[i];
		}
		CHECK_FOR_INTERRUPTS();
		if (total > 0)
		{
			double		target = pg_prng_double(&km->rng) * total;

			pick = km->n - 1;
			for (int i = 0; i < km->n; i++)
			{
				target -= nearest[i];
				if (target < 0)
				{
					pick = i;
					break;
				}
			}
		}
		else
			pick = (int) pg_prng_uint64_range(&km->rng, 0, km->n - 1);
	}
	pfree(nearest);
}

/* Each sample's nearest centre by computing every distance (Lloyd; Elkan's first pass). */
static int
assign_all(Kmeans *km)
{
	int			changed = 0;

	for (int i = 0; i < km->n; i++)
	{
		int			best = 0;
		float		best_d = FLT_MAX;

		for (int j = 0; j < km->k; j++)
		{
			float		d = km->lower != NULL ? km->lower[(Size) i * km->k + j] : distance(km, sample(km, i), centre(km, j));

			if (d < best_d)
			{
				best_d = d;
				best = j;
			}
		}
		if (km->assign[i] != best)
			changed++;
		km->assign[i] = best;
		km->upper[i] = best_d;
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return changed;
}

/*
 * Elkan's assignment step: s[j] is half the distance from centre j to its nearest other
 * centre; pair[j * k + j'] the distance between centres j and j'. Returns how many samples
 * changed centre.
 */
static int
assign_elkan(Kmeans *km, const float *pair, const float *s)
{
	int			changed = 0;

	for (int i = 0; i < km->n; i++)
	{
		int			a = km->assign[i];
		float	   *lower = km->lower + (Size) i * km->k;
		bool		upper_exact = false;

		if (km->upper[i] <= s[a])
			continue;
		for (int j = 0; j < km->k; j++)
		{
			float		d;

			if (j == a || km->upper[i] <= lower[j] || km->upper[i] <= 0.5f * pair[(Size) a * km->k + j])
				continue;
			if (!upper_exact)
			{
				km->upper[i] = lower[a] = distance(km, sample(km, i), centre(km, a));
				upper_exact = true;
				if (km->upper[i] <= lower[j] || km->upper[i] <= 0.5f * pair[(Size) a * km->k + j])
					continue;
			}
			d = lower[j] = distance(km, sample(km, i), centre(km, j));
			if (d < km->upper[i])
			{
				a = j;
				km->upper[i] = d;
			}
		}
		if (a != km->assign[i])
		{
			km->assign[i] = a;
			changed++;
		}
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return changed;
}

static void
centre_distances(Kmeans *km, float *pair, float *s)
{
	for (int j = 0; j < km->k; j++)
		s[j] = FLT_MAX;
	for (int j = 0; j < km->k; j++)
	{
		pair[(Size) j * km->k + j] = 0;
		for (int j2 = j + 1; j2 < km->k; j2++)
		{
			float		d = distance(km, centre(km, j), centre(km, j2));

			pair[(Size) j * km->k + j2] = pair[(Size) j2 * km->k + j] = d;
			s[j] = Min(s[j], 0.5f * d);
			s[j2] = Min(s[j2], 0.5f * d);
		}
		CHECK_FOR_INTERRUPTS();
	}
}

/* Sample numbers grouped by centre: centre j's are order[start[j] .. start[j + 1] - 1]. */
static void
group_by_centre(Kmeans *km, int *order, int *start)
{
	memset(start, 0, sizeof(int) * (km->k + 1));
	for (int i = 0; i < km->n; i++)
		start[km->assign[i] + 1]++;
	for (int j = 0; j < km->k; j++)
		start[j + 1] += start[j];
	for (int i = 0; i < km->n; i++)
		order[start[km->assign[i]]++] = i;
	for (int j = km->k; j > 0; j--)
		start[j] = start[j - 1];
	start[0] = 0;
}

/*
 * Moves every centre to the mean of its samples, formed in float4 and stored as the type
 * stores values (normalised first for spherical; a centre with no sample, or a zero mean,
 * stays), writing how far each moved into shift. moved is one value's scratch space.
 */
static void
move_centres(Kmeans *km, int *order, int *start, char *moved, float *shift)
{
	group_by_centre(km, order, start);
	for (int j = 0; j < km->k; j++)
	{
		int			count = start[j + 1] - start[j];

		shift[j] = 0;
		if (count == 0)
			continue;
		memset(km->floats, 0, sizeof(float) * km->dims);
		for (int m = start[j]; m < start[j + 1]; m++)
			km->type->add_to_sum(km->dims, sample(km, order[m]), km->floats);
		for (int d = 0; d < km->dims; d++)
			km->floats[d] /= count;
		if (km->spherical && !IvfNormalize(km->dims, km->floats))
			continue;
		km->type->from_floats(km->dims, km->floats, moved);
		shift[j] = distance(km, moved, centre(km, j));
		memcpy(centre(km, j), moved, km->size);
	}
}

/* Elkan's bounds after the centres moved. */
static void
update_bounds(Kmeans *km, const float *shift)
{
	if (km->lower == NULL)
		return;
	for (int i = 0; i < km->n; i++)
	{
		float	   *lower = km->lower + (Size) i * km->k;

		km->upper[i] += shift[km->assign[i]];
		for (int j = 0; j < km->k; j++)
			lower[j] = Max(0, lower[j] - shift[j]);
	}
}

static void
iterate(Kmeans *km)
{
	int		   *order = palloc(sizeof(int) * km->n);
	int		   *start = palloc(sizeof(int) * (km->k + 1));
	char	   *moved = palloc(km->size);
	float	   *shift = palloc(sizeof(float) * km->k);
	float	   *pair = km->lower != NULL ? MemoryContextAllocHuge(CurrentMemoryContext, sizeof(float) * (Size) km->k * km->k) : NULL;
	float	   *s = palloc(sizeof(float) * km->k);

	for (int i = 0; i < km->n; i++)
		km->assign[i] = -1;
	assign_all(km);
	for (int iteration = 0; iteration < IVF_MAX_ITERATIONS; iteration++)
	{
		int			changed;

		move_centres(km, order, start, moved, shift);
		update_bounds(km, shift);
		if (km->lower != NULL)
		{
			centre_distances(km, pair, s);
			changed = assign_elkan(km, pair, s);
		}
		else
			changed = assign_all(km);
		if (changed == 0)
			break;
	}
}

/*
 * Finds k centres for n samples (stored values of info's type) into centers (k values).
 * Uses Elkan's variant when IvfKmeansMemory fits maintenance_work_mem, Lloyd's otherwise.
 */
void
IvfKmeans(const IvfIndexInfo *info, const char *samples, int nsamples, int k, char *centers)
{
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "ivfflat k-means", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	Kmeans		km;

	km.type = info->type;
	km.x = samples;
	km.n = nsamples;
	km.dims = info->dims;
	km.size = info->item_size;
	km.k = k;
	km.spherical = info->spherical;
	km.c = centers;
	km.floats = palloc(sizeof(float) * info->dims);
	km.lower = NULL;
	pg_prng_seed(&km.rng, IVF_KMEANS_SEED);
	if (nsamples <= k)
		few_samples_centres(&km);
	else
	{
		if (IvfKmeansMemory(info, nsamples, k) <= (Size) maintenance_work_mem * 1024)
			km.lower = MemoryContextAllocHuge(ctx, sizeof(float) * (Size) nsamples * k);
		km.assign = palloc(sizeof(int) * nsamples);
		km.upper = palloc(sizeof(float) * nsamples);
		seed_centres(&km);
		iterate(&km);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
}
