/*
 * vecarray.h: reading a numeric array (integer[], real[], double precision[], numeric[]) for
 * the casts from arrays to halfvec and sparsevec, with pgvector's errors.
 */
#ifndef STUDYBASE_VECARRAY_H
#define STUDYBASE_VECARRAY_H

#include "postgres.h"

#include "utils/array.h"

/* The array's elements as float4s (palloc'd), after the 1-D and no-NULL checks. */
extern float *ArrayToFloat4s(ArrayType *array, int *count);

#endif
