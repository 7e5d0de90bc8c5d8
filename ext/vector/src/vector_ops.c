/*
 * vector_ops.c: everything else a vector can do in SQL: its dimensions, normalisation,
 * element-wise arithmetic, concatenation, slicing, ordering (for ORDER BY, DISTINCT and
 * btree indexes) and the avg/sum aggregates.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "vector.h"

PG_FUNCTION_INFO_V1(vector_dims);
Datum
vector_dims(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);

	PG_RETURN_INT32(a->dim);
}

PG_FUNCTION_INFO_V1(l2_normalize);
Datum
l2_normalize(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *result = InitVector(a->dim);
	double		norm = 0;

	for (int i = 0; i < a->dim; i++)
		norm += (double) a->x[i] * (double) a->x[i];
	norm = sqrt(norm);
	if (norm > 0)				/* a zero vector stays zero */
		for (int i = 0; i < a->dim; i++)
			result->x[i] = (float) (a->x[i] / norm);
	PG_RETURN_VECTOR_P(result);
}

void
ReportVectorOverflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value out of range: overflow")));
}

PG_FUNCTION_INFO_V1(vector_add);
Datum
vector_add(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *result;

	CheckSameDims(a, b);
	result = InitVector(a->dim);
	for (int i = 0; i < a->dim; i++)
	{
		result->x[i] = a->x[i] + b->x[i];
		if (isinf(result->x[i]))
			ReportVectorOverflow();
	}
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_sub);
Datum
vector_sub(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *result;

	CheckSameDims(a, b);
	result = InitVector(a->dim);
	for (int i = 0; i < a->dim; i++)
	{
		result->x[i] = a->x[i] - b->x[i];
		if (isinf(result->x[i]))
			ReportVectorOverflow();
	}
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_mul);
Datum
vector_mul(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *result;

	CheckSameDims(a, b);
	result = InitVector(a->dim);
	for (int i = 0; i < a->dim; i++)
	{
		result->x[i] = a->x[i] * b->x[i];
		if (isinf(result->x[i]))
			ReportVectorOverflow();
		if (result->x[i] == 0 && a->x[i] != 0 && b->x[i] != 0)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: underflow")));
	}
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_concat);
Datum
vector_concat(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *result;

	CheckVectorDim(a->dim + b->dim);
	result = InitVector(a->dim + b->dim);
	memcpy(result->x, a->x, sizeof(float) * a->dim);
	memcpy(result->x + a->dim, b->x, sizeof(float) * b->dim);
	PG_RETURN_VECTOR_P(result);
}

/* subvector(v, start, count): 1-based; a start before 1 is clipped but the end stays
 * start + count; an end past the last element is truncated. */
PG_FUNCTION_INFO_V1(subvector);
Datum
subvector(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	int64		start = PG_GETARG_INT32(1);
	int64		count = PG_GETARG_INT32(2);
	int64		end = start + count;
	Vector	   *result;

	if (count < 1 || start > a->dim)
		CheckVectorDim(0);
	if (start < 1)
		start = 1;
	if (end > a->dim + 1)
		end = a->dim + 1;
	CheckVectorDim((int) (end - start));
	result = InitVector((int) (end - start));
	memcpy(result->x, a->x + (start - 1), sizeof(float) * result->dim);
	PG_RETURN_VECTOR_P(result);
}

/* Element by element, then the shorter vector first: the order of float4 arrays. */
static int
compare_vectors(const Vector *a, const Vector *b)
{
	int			common = Min(a->dim, b->dim);

	for (int i = 0; i < common; i++)
	{
		if (a->x[i] < b->x[i])
			return -1;
		if (a->x[i] > b->x[i])
			return 1;
	}
	return (a->dim > b->dim) - (a->dim < b->dim);
}

static int
compare_arguments(FunctionCallInfo fcinfo)
{
	return compare_vectors(PG_GETARG_VECTOR_P(0), PG_GETARG_VECTOR_P(1));
}

PG_FUNCTION_INFO_V1(vector_cmp);
Datum
vector_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(compare_arguments(fcinfo));
}

PG_FUNCTION_INFO_V1(vector_lt);
Datum
vector_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) < 0);
}

PG_FUNCTION_INFO_V1(vector_le);
Datum
vector_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) <= 0);
}

PG_FUNCTION_INFO_V1(vector_eq);
Datum
vector_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) == 0);
}

PG_FUNCTION_INFO_V1(vector_ne);
Datum
vector_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) != 0);
}

PG_FUNCTION_INFO_V1(vector_ge);
Datum
vector_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) >= 0);
}

PG_FUNCTION_INFO_V1(vector_gt);
Datum
vector_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_arguments(fcinfo) > 0);
}

/*
 * avg: the state is a float8[] {count, sum_1, ..., sum_n}; it starts as {0}. halfvec's avg
 * (halfvec_ops.c) keeps the same state, so it uses these two as well.
 */
float8 *
AggStateValues(ArrayType *state, const char *caller, int *length)
{
	if (ARR_NDIM(state) != 1 || ARR_DIMS(state)[0] < 1 || ARR_HASNULL(state) ||
		ARR_ELEMTYPE(state) != FLOAT8OID)
		elog(ERROR, "%s: expected state array", caller);
	*length = ARR_DIMS(state)[0];
	return (float8 *) ARR_DATA_PTR(state);
}

ArrayType *
MakeAggState(const float8 *values, int length)
{
	Datum	   *datums = palloc(sizeof(Datum) * length);

	for (int i = 0; i < length; i++)
		datums[i] = Float8GetDatum(values[i]);
	return construct_array(datums, length, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
						   TYPALIGN_DOUBLE);
}

PG_FUNCTION_INFO_V1(vector_accum);
Datum
vector_accum(PG_FUNCTION_ARGS)
{
	int			length;
	float8	   *state = AggStateValues(PG_GETARG_ARRAYTYPE_P(0), "vector_accum", &length);
	Vector	   *v = PG_GETARG_VECTOR_P(1);
	float8	   *next;

	if (state[0] > 0)
		CheckExpectedDim(length - 1, v->dim);
	next = palloc0(sizeof(float8) * (v->dim + 1));
	next[0] = state[0] + 1;
	for (int i = 0; i < v->dim; i++)
	{
		next[i + 1] = (state[0] > 0 ? state[i + 1] : 0) + (float8) v->x[i];
		if (isinf(next[i + 1]))
			ReportVectorOverflow();
	}
	PG_RETURN_ARRAYTYPE_P(MakeAggState(next, v->dim + 1));
}

PG_FUNCTION_INFO_V1(vector_combine);
Datum
vector_combine(PG_FUNCTION_ARGS)
{
	int			length_a,
				length_b;
	float8	   *a = AggStateValues(PG_GETARG_ARRAYTYPE_P(0), "vector_combine", &length_a);
	float8	   *b = AggStateValues(PG_GETARG_ARRAYTYPE_P(1), "vector_combine", &length_b);
	float8	   *sum;

	if (a[0] == 0)
		PG_RETURN_ARRAYTYPE_P(MakeAggState(b, length_b));
	if (b[0] == 0)
		PG_RETURN_ARRAYTYPE_P(MakeAggState(a, length_a));
	CheckExpectedDim(length_a - 1, length_b - 1);
	sum = palloc(sizeof(float8) * length_a);
	for (int i = 0; i < length_a; i++)
	{
		sum[i] = a[i] + b[i];
		if (isinf(sum[i]))
			ReportVectorOverflow();
	}
	PG_RETURN_ARRAYTYPE_P(MakeAggState(sum, length_a));
}

PG_FUNCTION_INFO_V1(vector_avg);
Datum
vector_avg(PG_FUNCTION_ARGS)
{
	int			length;
	float8	   *state = AggStateValues(PG_GETARG_ARRAYTYPE_P(0), "vector_avg", &length);
	Vector	   *result;

	if (state[0] == 0)			/* no rows */
		PG_RETURN_NULL();
	CheckVectorDim(length - 1);
	result = InitVector(length - 1);
	for (int i = 0; i < result->dim; i++)
	{
		result->x[i] = (float) (state[i + 1] / state[0]);
		CheckVectorElement(result->x[i]);
	}
	PG_RETURN_VECTOR_P(result);
}
