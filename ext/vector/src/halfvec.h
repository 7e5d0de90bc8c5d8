/*
 * halfvec.h: the layout of a `halfvec` value (a vector of IEEE half floats), shared by the
 * files that read or make one.
 *
 * A halfvec is a varlena: header, int16 dimension count, int16 reserved (always 0), then `dim`
 * halves (halfutils.h; distance kernels in halfvec_kernels.h), so 8 + 2 * dim bytes. Values are always finite. Its binary form is the
 * same fields in network order, each half as its 16 raw bits (as pgvector sends it).
 */
#ifndef STUDYBASE_HALFVEC_H
#define STUDYBASE_HALFVEC_H

#include "postgres.h"
#include "fmgr.h"

#include "halfvec_kernels.h"

#define HALFVEC_MAX_DIM 16000

typedef struct HalfVector
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int16		dim;			/* number of elements */
	int16		unused;			/* reserved, always 0 */
	half		x[FLEXIBLE_ARRAY_MEMBER];
} HalfVector;

#define HALFVEC_SIZE(dim)		(offsetof(HalfVector, x) + sizeof(half) * (dim))
#define DatumGetHalfVector(d)	((HalfVector *) PG_DETOAST_DATUM(d))
#define PG_GETARG_HALFVEC_P(n)	DatumGetHalfVector(PG_GETARG_DATUM(n))
#define PG_RETURN_HALFVEC_P(v)	PG_RETURN_POINTER(v)

/* halfvec_io.c */
extern HalfVector *InitHalfVector(int dim);
extern void CheckHalfvecDim(int dim);
extern void CheckHalfvecElement(float value);
extern half Float4ToHalf(float value);
extern void CheckHalfvecSameDims(const HalfVector *a, const HalfVector *b);

/* halfvec_ops.c: for indexes (cosine normalises values first) */
extern double HalfvecNorm(const HalfVector *a);
extern HalfVector *HalfvecL2Normalize(const HalfVector *a);

#endif
