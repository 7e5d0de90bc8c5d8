/*
 * vector_distance.c: the distance kernels and the SQL functions and operators built on them
 * (<-> L2, <#> negative inner product, <=> cosine, <+> L1), plus vector_norm.
 *
 * Sums accumulate in float4, as pgvector's do, so a sum that overflows gives Infinity rather
 * than an error. The kernels (vector_kernels.c: scalar or AVX2/FMA, chosen when the library
 * loads) take plain arrays, so the hnsw index calls the same code.
 */
#include "postgres.h"

#include <math.h>

#include "vector.h"
#include "vector_kernels.h"

/*
 * A sequential scan hands the distance functions rows straight from heap pages, where the
 * next row read usually sits just below this one (a page fills from its end down), and the
 * hardware prefetcher does not follow that order across 1.5 kB rows. So each call asks for
 * the memory of about one row below each argument: a hint with no effect on results (a
 * prefetch of an address that holds nothing useful costs a cache line and never faults).
 */
static inline void
prefetch_row_below(const Vector *v)
{
	const char *end = (const char *) v;
	Size		size = VARSIZE(v) + 64;

	for (Size off = 64; off <= size; off += 64)
		__builtin_prefetch(end - off);
}

static inline void
prefetch_next_rows(const Vector *a, const Vector *b)
{
	prefetch_row_below(a);
	prefetch_row_below(b);
}

void
CheckSameDims(const Vector *a, const Vector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", a->dim, b->dim)));
}

float
VectorL2SquaredDistance(int dim, const float *a, const float *b)
{
	return vk->l2_squared(dim, a, b);
}

float
VectorInnerProduct(int dim, const float *a, const float *b)
{
	return vk->inner_product(dim, a, b);
}

/* dot / sqrt(|a|^2 |b|^2), clamped to [-1, 1]; NaN when either vector is zero. */
double
VectorCosineSimilarity(int dim, const float *a, const float *b)
{
	VkCosineParts p = vk->cosine_parts(dim, a, b);
	double		similarity;

	similarity = (double) p.dot / sqrt((double) p.norm_a * (double) p.norm_b);
	if (similarity > 1)
		similarity = 1;
	else if (similarity < -1)
		similarity = -1;
	return similarity;
}

float
VectorL1Distance(int dim, const float *a, const float *b)
{
	return vk->l1(dim, a, b);
}

/*
 * The values of the distance operators (<->, <#>, <=>, <+>), dimensions checked. The SQL
 * functions below and the exact top-N scan (vector_topn.c) both compute through these, so a
 * scan orders rows by exactly the numbers the operators return.
 */
double
VectorDistanceL2(const Vector *a, const Vector *b)
{
	CheckSameDims(a, b);
	return sqrt((double) VectorL2SquaredDistance(a->dim, a->x, b->x));
}

double
VectorDistanceNegativeInnerProduct(const Vector *a, const Vector *b)
{
	CheckSameDims(a, b);
	return (double) -VectorInnerProduct(a->dim, a->x, b->x);
}

double
VectorDistanceCosine(const Vector *a, const Vector *b)
{
	CheckSameDims(a, b);
	return 1.0 - VectorCosineSimilarity(a->dim, a->x, b->x);
}

double
VectorDistanceL1(const Vector *a, const Vector *b)
{
	CheckSameDims(a, b);
	return (double) VectorL1Distance(a->dim, a->x, b->x);
}

PG_FUNCTION_INFO_V1(l2_distance);
Datum
l2_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);

	PG_RETURN_FLOAT8(VectorDistanceL2(a, b));
}

PG_FUNCTION_INFO_V1(vector_l2_squared_distance);
Datum
vector_l2_squared_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);

	CheckSameDims(a, b);
	PG_RETURN_FLOAT8((double) VectorL2SquaredDistance(a->dim, a->x, b->x));
}

PG_FUNCTION_INFO_V1(inner_product);
Datum
inner_product(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);

	CheckSameDims(a, b);
	PG_RETURN_FLOAT8((double) VectorInnerProduct(a->dim, a->x, b->x));
}

PG_FUNCTION_INFO_V1(vector_negative_inner_product);
Datum
vector_negative_inner_product(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);

	PG_RETURN_FLOAT8(VectorDistanceNegativeInnerProduct(a, b));
}

PG_FUNCTION_INFO_V1(cosine_distance);
Datum
cosine_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);

	prefetch_next_rows(a, b);
	PG_RETURN_FLOAT8(VectorDistanceCosine(a, b));
}

PG_FUNCTION_INFO_V1(l1_distance);
Datum
l1_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);

	PG_RETURN_FLOAT8(VectorDistanceL1(a, b));
}

PG_FUNCTION_INFO_V1(vector_norm);
Datum
vector_norm(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	double		sum = 0;

	for (int i = 0; i < a->dim; i++)
		sum += (double) a->x[i] * (double) a->x[i];
	PG_RETURN_FLOAT8(sqrt(sum));
}
