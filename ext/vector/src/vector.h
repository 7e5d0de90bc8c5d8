/*
 * vector.h: the on-disk and in-memory layout of a `vector` value, shared by every file of
 * the extension.
 *
 * A vector is a varlena: header, int16 dimension count, int16 reserved (always 0), then
 * `dim` float4 values. Its size is 8 + 4 * dim bytes. Values are always finite.
 */
#ifndef STUDYBASE_VECTOR_H
#define STUDYBASE_VECTOR_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/array.h"

#define VECTOR_MAX_DIM 16000

typedef struct Vector
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int16		dim;			/* number of elements */
	int16		unused;			/* reserved, always 0 */
	float		x[FLEXIBLE_ARRAY_MEMBER];
} Vector;

#define VECTOR_SIZE(dim)		(offsetof(Vector, x) + sizeof(float) * (dim))
#define DatumGetVector(d)		((Vector *) PG_DETOAST_DATUM(d))
#define PG_GETARG_VECTOR_P(n)	DatumGetVector(PG_GETARG_DATUM(n))
#define PG_RETURN_VECTOR_P(v)	PG_RETURN_POINTER(v)

/* vector_io.c */
extern Vector *InitVector(int dim);
extern void CheckVectorDim(int dim);
extern void CheckVectorElement(float value);
extern void CheckExpectedDim(int32 typmod, int dim);

/* vector_distance.c: kernels over two arrays of the same length */
extern float VectorL2SquaredDistance(int dim, const float *a, const float *b);
extern float VectorInnerProduct(int dim, const float *a, const float *b);
extern double VectorCosineSimilarity(int dim, const float *a, const float *b);
extern float VectorL1Distance(int dim, const float *a, const float *b);
extern void CheckSameDims(const Vector *a, const Vector *b);

/* vector_distance.c: the distance operators' values (<->, <#>, <=>, <+>), dimensions checked */
extern double VectorDistanceL2(const Vector *a, const Vector *b);
extern double VectorDistanceNegativeInnerProduct(const Vector *a, const Vector *b);
extern double VectorDistanceCosine(const Vector *a, const Vector *b);
extern double VectorDistanceL1(const Vector *a, const Vector *b);

/* vector_ops.c: the core error `value out of range: overflow` (22003) */
extern void ReportVectorOverflow(void);

/* vector_ops.c: the avg aggregates' state, a float8[] {count, sum_1, ..., sum_n} */
extern float8 *AggStateValues(ArrayType *state, const char *caller, int *length);
extern ArrayType *MakeAggState(const float8 *values, int length);

/* vector_topn.c: the exact top-N custom scan, its planner hook and setting */
extern void VectorTopnInit(void);

#endif
