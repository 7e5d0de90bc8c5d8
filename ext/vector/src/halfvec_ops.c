/*
 * halfvec_ops.c: what a halfvec can do in SQL besides entering and leaving: the distances
 * (<-> L2, <#> negative inner product, <=> cosine, <+> L1), its dimensions and norm,
 * normalisation, element-wise arithmetic, concatenation, slicing, ordering (ORDER BY, DISTINCT,
 * btree) and the avg/sum aggregates.
 *
 * Arithmetic happens in float4 and each result is rounded to a half; a result beyond the half
 * range is an overflow, a non-zero product that rounds to zero an underflow (pgvector's
 * errors). Distances come from the kernels in halfvec_kernels.c.
 */
#include "postgres.h"

#include <math.h>

#include "utils/array.h"

#include "halfvec.h"
#include "vector.h"

/* The distances, dimensions checked. */

PG_FUNCTION_INFO_V1(halfvec_l2_distance);
Datum
halfvec_l2_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);

	CheckHalfvecSameDims(a, b);
	PG_RETURN_FLOAT8(sqrt((double) HalfvecL2SquaredDistance(a->dim, a->x, b->x)));
}

PG_FUNCTION_INFO_V1(halfvec_l2_squared_distance);
Datum
halfvec_l2_squared_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);

	CheckHalfvecSameDims(a, b);
	PG_RETURN_FLOAT8((double) HalfvecL2SquaredDistance(a->dim, a->x, b->x));
}

PG_FUNCTION_INFO_V1(halfvec_inner_product);
Datum
halfvec_inner_product(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);

	CheckHalfvecSameDims(a, b);
	PG_RETURN_FLOAT8((double) HalfvecInnerProduct(a->dim, a->x, b->x));
}

PG_FUNCTION_INFO_V1(halfvec_negative_inner_product);
Datum
halfvec_negative_inner_product(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);

	CheckHalfvecSameDims(a, b);
	PG_RETURN_FLOAT8((double) -HalfvecInnerProduct(a->dim, a->x, b->x));
}

PG_FUNCTION_INFO_V1(halfvec_cosine_distance);
Datum
halfvec_cosine_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);

	CheckHalfvecSameDims(a, b);
	PG_RETURN_FLOAT8(1.0 - HalfvecCosineSimilarity(a->dim, a->x, b->x));
}

/*
 * The angle between two unit vectors as a fraction of pi, from their inner product clamped to
 * [-1, 1] (ivfflat's support function for inner product and cosine in pgvector).
 */
PG_FUNCTION_INFO_V1(halfvec_spherical_distance);
Datum
halfvec_spherical_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	double		dot;

	CheckHalfvecSameDims(a, b);
	dot = (double) HalfvecInnerProduct(a->dim, a->x, b->x);
	dot = Max(-1, Min(dot, 1));
	PG_RETURN_FLOAT8(acos(dot) / M_PI);
}

PG_FUNCTION_INFO_V1(halfvec_l1_distance);
Datum
halfvec_l1_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);

	CheckHalfvecSameDims(a, b);
	PG_RETURN_FLOAT8((double) HalfvecL1Distance(a->dim, a->x, b->x));
}

PG_FUNCTION_INFO_V1(halfvec_vector_dims);
Datum
halfvec_vector_dims(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);

	PG_RETURN_INT32(a->dim);
}

double
HalfvecNorm(const HalfVector *a)
{
	double		sum = 0;

	for (int i = 0; i < a->dim; i++)
	{
		double		x = HalfToFloat4(a->x[i]);

		sum += x * x;
	}
	return sqrt(sum);
}

PG_FUNCTION_INFO_V1(halfvec_l2_norm);
Datum
halfvec_l2_norm(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(HalfvecNorm(PG_GETARG_HALFVEC_P(0)));
}

/* A new halfvec: each element divided by the norm (in float8), rounded to a half. */
HalfVector *
HalfvecL2Normalize(const HalfVector *a)
{
	HalfVector *result = InitHalfVector(a->dim);
	double		norm = HalfvecNorm(a);

	if (norm > 0)				/* a zero vector stays zero */
		for (int i = 0; i < a->dim; i++)
			result->x[i] = Float4ToHalf((float) (HalfToFloat4(a->x[i]) / norm));
	return result;
}

PG_FUNCTION_INFO_V1(halfvec_l2_normalize);
Datum
halfvec_l2_normalize(PG_FUNCTION_ARGS)
{
	PG_RETURN_HALFVEC_P(HalfvecL2Normalize(PG_GETARG_HALFVEC_P(0)));
}

/* Element-wise arithmetic */

/* A float4 result as a half: beyond the half range is an overflow. */
static half
result_to_half(float value)
{
	half		result = Float4ToHalfUnchecked(value);

	if (HalfIsInf(result))
		ReportVectorOverflow();
	return result;
}

PG_FUNCTION_INFO_V1(halfvec_add);
Datum
halfvec_add(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	HalfVector *result;

	CheckHalfvecSameDims(a, b);
	result = InitHalfVector(a->dim);
	for (int i = 0; i < a->dim; i++)
		result->x[i] = result_to_half(HalfToFloat4(a->x[i]) + HalfToFloat4(b->x[i]));
	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_sub);
Datum
halfvec_sub(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	HalfVector *result;

	CheckHalfvecSameDims(a, b);
	result = InitHalfVector(a->dim);
	for (int i = 0; i < a->dim; i++)
		result->x[i] = result_to_half(HalfToFloat4(a->x[i]) - HalfToFloat4(b->x[i]));
	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_mul);
Datum
halfvec_mul(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	HalfVector *result;

	CheckHalfvecSameDims(a, b);
	result = InitHalfVector(a->dim);
	for (int i = 0; i < a->dim; i++)
	{
		result->x[i] = result_to_half(HalfToFloat4(a->x[i]) * HalfToFloat4(b->x[i]));
		if (HalfIsZero(result->x[i]) && !HalfIsZero(a->x[i]) && !HalfIsZero(b->x[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: underflow")));
	}
	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_concat);
Datum
halfvec_concat(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	HalfVector *result;

	CheckHalfvecDim(a->dim + b->dim);
	result = InitHalfVector(a->dim + b->dim);
	memcpy(result->x, a->x, sizeof(half) * a->dim);
	memcpy(result->x + a->dim, b->x, sizeof(half) * b->dim);
	PG_RETURN_HALFVEC_P(result);
}

/* subvector(v, start, count): as for vector (vector_ops.c). */
PG_FUNCTION_INFO_V1(halfvec_subvector);
Datum
halfvec_subvector(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	int64		start = PG_GETARG_INT32(1);
	int64		count = PG_GETARG_INT32(2);
	int64		end = start + count;
	HalfVector *result;

	if (count < 1 || start > a->dim)
		CheckHalfvecDim(0);
	if (start < 1)
		start = 1;
	if (end > a->dim + 1)
		end = a->dim + 1;
	CheckHalfvecDim((int) (end - start));
	result = InitHalfVector((int) (end - start));
	memcpy(result->x, a->x + (start - 1), sizeof(half) * result->dim);
	PG_RETURN_HALFVEC_P(result);
}

/* Ordering: element by element by value, then the shorter vector first (as for vector). */

static int
compare_halfvecs(const HalfVector *a, const HalfVector *b)
{
	int			common = Min(a->dim, b->dim);

	for (int i = 0; i < common; i++)
	{
		float		x = HalfToFloat4(a->x[i]);
		float		y = HalfToFloat4(b->x[i]);

		if (x < y)
			return -1;
		if (x > y)
			return 1;
	}
	return (a->dim > b->dim) - (a->dim < b->dim);
}

static int
compare_arguments(FunctionCallInfo fcinfo)
{
	return compare_halfvecs(PG_GETARG_HALFVEC_P(0), PG_GETARG_HALFVEC_P(1));
}

PG_FUNCTION_INFO_V1(halfvec_cmp);
Datum
halfvec_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(compare_arguments(fcinfo));
}

PG_FUNCTION_INFO_V1(halfvec_lt);
Datum
halfvec_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) < 0);
}

PG_FUNCTION_INFO_V1(halfvec_le);
Datum
halfvec_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) <= 0);
}

PG_FUNCTION_INFO_V1(halfvec_eq);
Datum
halfvec_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) == 0);
}

PG_FUNCTION_INFO_V1(halfvec_ne);
Datum
halfvec_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) != 0);
}

PG_FUNCTION_INFO_V1(halfvec_ge);
Datum
halfvec_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) >= 0);
}

PG_FUNCTION_INFO_V1(halfvec_gt);
Datum
halfvec_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) > 0);
}

/* avg: the vector's state (vector_ops.c), {count, sum_1, ..., sum_n} in float8. */

PG_FUNCTION_INFO_V1(halfvec_accum);
Datum
halfvec_accum(PG_FUNCTION_ARGS)
{
	int			length;
	float8	   *state = AggStateValues(PG_GETARG_ARRAYTYPE_P(0), "halfvec_accum", &length);
	HalfVector *v = PG_GETARG_HALFVEC_P(1);
	float8	   *next;

	if (state[0] > 0)
		CheckExpectedDim(length - 1, v->dim);
	next = palloc0(sizeof(float8) * (v->dim + 1));
	next[0] = state[0] + 1;
	for (int i = 0; i < v->dim; i++)
	{
		next[i + 1] = (state[0] > 0 ? state[i + 1] : 0) + (float8) HalfToFloat4(v->x[i]);
		if (isinf(next[i + 1]))
			ReportVectorOverflow();
	}
	PG_RETURN_ARRAYTYPE_P(MakeAggState(next, v->dim + 1));
}

PG_FUNCTION_INFO_V1(halfvec_avg);
Datum
halfvec_avg(PG_FUNCTION_ARGS)
{
	int			length;
	float8	   *state = AggStateValues(PG_GETARG_ARRAYTYPE_P(0), "halfvec_avg", &length);
	HalfVector *result;

	if (state[0] == 0)			/* no rows */
		PG_RETURN_NULL();
	CheckHalfvecDim(length - 1);
	result = InitHalfVector(length - 1);
	for (int i = 0; i < result->dim; i++)
	{
		float		mean = (float) (state[i + 1] / state[0]);

		CheckHalfvecElement(mean);
		result->x[i] = Float4ToHalf(mean);
	}
	PG_RETURN_HALFVEC_P(result);
}
