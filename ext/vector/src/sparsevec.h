/*
 * sparsevec.h: the layout of a `sparsevec` value (a vector stored as its non-zero elements),
 * shared by the files that read or make one, and its distance kernels.
 *
 * A sparsevec is a varlena: header, int32 dimension count, int32 number of non-zero elements
 * (nnz), int32 reserved (always 0), then nnz int32 indices, 0-based and strictly ascending,
 * then nnz float4 values, each finite and non-zero. The text form numbers indices from 1
 * (`{1:1.5,3:2}/5`); the binary form is the fields above in network order, indices 0-based (as
 * pgvector sends it).
 */
#ifndef STUDYBASE_SPARSEVEC_H
#define STUDYBASE_SPARSEVEC_H

#include "postgres.h"
#include "fmgr.h"

#define SPARSEVEC_MAX_DIM 1000000000
#define SPARSEVEC_MAX_NNZ 16000

typedef struct SparseVector
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		dim;			/* number of dimensions */
	int32		nnz;			/* number of non-zero elements */
	int32		unused;			/* reserved, always 0 */
	int32		indices[FLEXIBLE_ARRAY_MEMBER];	/* then float values[nnz] */
} SparseVector;

#define SPARSEVEC_SIZE(nnz)		(offsetof(SparseVector, indices) + (sizeof(int32) + sizeof(float)) * (nnz))
#define SparsevecValues(v)		((float *) ((v)->indices + (v)->nnz))
#define DatumGetSparseVector(d)	((SparseVector *) PG_DETOAST_DATUM(d))
#define PG_GETARG_SPARSEVEC_P(n)	DatumGetSparseVector(PG_GETARG_DATUM(n))
#define PG_RETURN_SPARSEVEC_P(v)	PG_RETURN_POINTER(v)

/* sparsevec_io.c */
extern SparseVector *InitSparseVector(int dim, int nnz);
extern void CheckSparsevecDim(int64 dim);
extern void CheckSparsevecNnz(int nnz);
extern void CheckSparsevecElement(float value);
extern void CheckSparsevecSameDims(const SparseVector *a, const SparseVector *b);

/* sparsevec_ops.c: the kernels (float sums, as for vector), dimensions not checked */
extern float SparsevecL2SquaredDistance(const SparseVector *a, const SparseVector *b);
extern float SparsevecInnerProduct(const SparseVector *a, const SparseVector *b);
extern double SparsevecCosineSimilarity(const SparseVector *a, const SparseVector *b);
extern float SparsevecL1Distance(const SparseVector *a, const SparseVector *b);
extern double SparsevecNorm(const SparseVector *a);
extern SparseVector *SparsevecL2Normalize(const SparseVector *a);

#endif
