/*
 * sparsevec_ops.c: what a sparsevec can do in SQL besides entering and leaving: the distances
 * (<-> L2, <#> negative inner product, <=> cosine, <+> L1), l2_norm, l2_normalize, and
 * ordering (ORDER BY, DISTINCT, btree).
 *
 * The kernels walk both index lists in step (both ascending), so they cost nnz(a) + nnz(b),
 * whatever the dimension count. Sums accumulate in float4 as for vector (an overflow gives
 * Infinity, a cosine over overflowing norms NaN); norms in float8.
 */
#include "postgres.h"

#include <math.h>

#include "sparsevec.h"

/* Kernels --------------------------------------------------------------------------------- */

float
SparsevecL2SquaredDistance(const SparseVector *a, const SparseVector *b)
{
	const float *va = SparsevecValues(a);
	const float *vb = SparsevecValues(b);
	float		distance = 0;
	int			i = 0;
	int			j = 0;

	while (i < a->nnz || j < b->nnz)
	{
		float		diff;

		if (j == b->nnz || (i < a->nnz && a->indices[i] < b->indices[j]))
			diff = va[i++];
		else if (i == a->nnz || b->indices[j] < a->indices[i])
			diff = vb[j++];
		else
			diff = va[i++] - vb[j++];
		distance += diff * diff;
	}
	return distance;
}

float
SparsevecInnerProduct(const SparseVector *a, const SparseVector *b)
{
	const float *va = SparsevecValues(a);
	const float *vb = SparsevecValues(b);
	float		dot = 0;
	int			i = 0;
	int			j = 0;

	while (i < a->nnz && j < b->nnz)
	{
		if (a->indices[i] < b->indices[j])
			i++;
		else if (b->indices[j] < a->indices[i])
			j++;
		else
			dot += va[i++] * vb[j++];
	}
	return dot;
}

static float
squared_norm(const SparseVector *a)
{
	const float *values = SparsevecValues(a);
	float		sum = 0;

	for (int i = 0; i < a->nnz; i++)
		sum += values[i] * values[i];
	return sum;
}

/* dot / sqrt(|a|^2 |b|^2) clamped to [-1, 1]; NaN when either is zero. */
double
SparsevecCosineSimilarity(const SparseVector *a, const SparseVector *b)
{
	double		similarity;

	similarity = (double) SparsevecInnerProduct(a, b) /
		sqrt((double) squared_norm(a) * (double) squared_norm(b));
	if (similarity > 1)
		similarity = 1;
	else if (similarity < -1)
		similarity = -1;
	return similarity;
}

float
SparsevecL1Distance(const SparseVector *a, const SparseVector *b)
{
	const float *va = SparsevecValues(a);
	const float *vb = SparsevecValues(b);
	float		distance = 0;
	int			i = 0;
	int			j = 0;

	while (i < a->nnz || j < b->nnz)
	{
		if (j == b->nnz || (i < a->nnz && a->indices[i] < b->indices[j]))
			distance += fabsf(va[i++]);
		else if (i == a->nnz || b->indices[j] < a->indices[i])
			distance += fabsf(vb[j++]);
		else
		{
			distance += fabsf(va[i] - vb[j]);
			i++;
			j++;
		}
	}
	return distance;
}

double
SparsevecNorm(const SparseVector *a)
{
	const float *values = SparsevecValues(a);
	double		sum = 0;

	for (int i = 0; i < a->nnz; i++)
		sum += (double) values[i] * (double) values[i];
	return sqrt(sum);
}

/* SQL functions --------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(sparsevec_l2_distance);
Datum
sparsevec_l2_distance(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);

	CheckSparsevecSameDims(a, b);
	PG_RETURN_FLOAT8(sqrt((double) SparsevecL2SquaredDistance(a, b)));
}

PG_FUNCTION_INFO_V1(sparsevec_l2_squared_distance);
Datum
sparsevec_l2_squared_distance(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);

	CheckSparsevecSameDims(a, b);
	PG_RETURN_FLOAT8((double) SparsevecL2SquaredDistance(a, b));
}

PG_FUNCTION_INFO_V1(sparsevec_inner_product);
Datum
sparsevec_inner_product(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);

	CheckSparsevecSameDims(a, b);
	PG_RETURN_FLOAT8((double) SparsevecInnerProduct(a, b));
}

PG_FUNCTION_INFO_V1(sparsevec_negative_inner_product);
Datum
sparsevec_negative_inner_product(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);

	CheckSparsevecSameDims(a, b);
	PG_RETURN_FLOAT8((double) -SparsevecInnerProduct(a, b));
}

PG_FUNCTION_INFO_V1(sparsevec_cosine_distance);
Datum
sparsevec_cosine_distance(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);

	CheckSparsevecSameDims(a, b);
	PG_RETURN_FLOAT8(1.0 - SparsevecCosineSimilarity(a, b));
}

PG_FUNCTION_INFO_V1(sparsevec_l1_distance);
Datum
sparsevec_l1_distance(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);

	CheckSparsevecSameDims(a, b);
	PG_RETURN_FLOAT8((double) SparsevecL1Distance(a, b));
}

PG_FUNCTION_INFO_V1(sparsevec_l2_norm);
Datum
sparsevec_l2_norm(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(SparsevecNorm(PG_GETARG_SPARSEVEC_P(0)));
}

/* A new sparsevec: each value divided by the norm; values that become zero are dropped. */
SparseVector *
SparsevecL2Normalize(const SparseVector *a)
{
	const float *values = SparsevecValues(a);
	double		norm = SparsevecNorm(a);
	float	   *normalized = palloc(sizeof(float) * Max(a->nnz, 1));
	int			nnz = 0;
	SparseVector *result;
	float	   *result_values;

	if (norm == 0)				/* a zero vector stays zero */
		return InitSparseVector(a->dim, 0);
	for (int i = 0; i < a->nnz; i++)
	{
		normalized[i] = (float) (values[i] / norm);
		if (normalized[i] != 0)
			nnz++;
	}
	result = InitSparseVector(a->dim, nnz);
	result_values = SparsevecValues(result);
	nnz = 0;
	for (int i = 0; i < a->nnz; i++)
		if (normalized[i] != 0)
		{
			result->indices[nnz] = a->indices[i];
			result_values[nnz++] = normalized[i];
		}
	return result;
}

PG_FUNCTION_INFO_V1(sparsevec_l2_normalize);
Datum
sparsevec_l2_normalize(PG_FUNCTION_ARGS)
{
	PG_RETURN_SPARSEVEC_P(SparsevecL2Normalize(PG_GETARG_SPARSEVEC_P(0)));
}

/* Ordering -------------------------------------------------------------------------------- */

/*
 * As the dense vectors compare (vector_ops.c): element by element over the common
 * dimensions, an absent element being 0, then the one with fewer dimensions first.
 */
static int
compare_sparsevecs(const SparseVector *a, const SparseVector *b)
{
	const float *va = SparsevecValues(a);
	const float *vb = SparsevecValues(b);
	int32		common = Min(a->dim, b->dim);
	int			i = 0;
	int			j = 0;

	for (;;)
	{
		int32		ia = i < a->nnz ? a->indices[i] : PG_INT32_MAX;
		int32		ib = j < b->nnz ? b->indices[j] : PG_INT32_MAX;
		int32		at = Min(ia, ib);
		float		x;
		float		y;

		if (at >= common)
			break;
		x = ia == at ? va[i] : 0;
		y = ib == at ? vb[j] : 0;
		if (x < y)
			return -1;
		if (x > y)
			return 1;
		i += ia == at;
		j += ib == at;
	}
	return (a->dim > b->dim) - (a->dim < b->dim);
}

static int
compare_arguments(FunctionCallInfo fcinfo)
{
	return compare_sparsevecs(PG_GETARG_SPARSEVEC_P(0), PG_GETARG_SPARSEVEC_P(1));
}

PG_FUNCTION_INFO_V1(sparsevec_cmp);
Datum
sparsevec_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(compare_arguments(fcinfo));
}

PG_FUNCTION_INFO_V1(sparsevec_lt);
Datum
sparsevec_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) < 0);
}

PG_FUNCTION_INFO_V1(sparsevec_le);
Datum
sparsevec_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) <= 0);
}

PG_FUNCTION_INFO_V1(sparsevec_eq);
Datum
sparsevec_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) == 0);
}

PG_FUNCTION_INFO_V1(sparsevec_ne);
Datum
sparsevec_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) != 0);
}

PG_FUNCTION_INFO_V1(sparsevec_ge);
Datum
sparsevec_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) >= 0);
}

PG_FUNCTION_INFO_V1(sparsevec_gt);
Datum
sparsevec_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) > 0);
}
