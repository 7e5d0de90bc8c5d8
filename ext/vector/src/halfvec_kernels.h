/*
 * halfvec_kernels.h: the distance kernels over two arrays of halves of the same length, in a
 * portable scalar version and an AVX2/FMA/F16C version chosen at run time, for the halfvec
 * SQL functions and any index on halfvec.
 *
 * Plain C with no PostgreSQL headers, so the unit tests compile it on its own. Both versions
 * convert each element to float4 and sum in float4, like the vector kernels (a sum that
 * overflows gives Infinity); the SIMD one in 8 lanes, so results differ only by rounding.
 * Callers go through `hk`, which points at the fastest version this CPU runs: the first call
 * through it makes the choice (hk_choose), so no library initialisation is needed.
 */
#ifndef STUDYBASE_HALFVEC_KERNELS_H
#define STUDYBASE_HALFVEC_KERNELS_H

#include "halfutils.h"
#include "vector_kernels.h"

typedef float (*hk_pair_fn) (int dim, const half *a, const half *b);
typedef VkCosineParts (*hk_cosine_fn) (int dim, const half *a, const half *b);

typedef struct HkKernels
{
	const char *name;			/* "scalar", "f16c" (or "unchosen" before the first call) */
	hk_pair_fn	l2_squared;
	hk_pair_fn	inner_product;
	hk_pair_fn	l1;
	hk_cosine_fn cosine_parts;
} HkKernels;

extern const HkKernels hk_scalar;
extern const HkKernels hk_f16c;

/* The kernels in use. */
extern const HkKernels *hk;

/* True when this CPU runs the AVX2/FMA/F16C kernels. */
extern int	hk_cpu_has_f16c(void);

/* Points hk at the SIMD kernels when allowed and supported, else at the scalar ones. */
extern void hk_choose(int allow_simd);

static inline float
HalfvecL2SquaredDistance(int dim, const half *a, const half *b)
{
	return hk->l2_squared(dim, a, b);
}

static inline float
HalfvecInnerProduct(int dim, const half *a, const half *b)
{
	return hk->inner_product(dim, a, b);
}

static inline float
HalfvecL1Distance(int dim, const half *a, const half *b)
{
	return hk->l1(dim, a, b);
}

/* dot / sqrt(|a|^2 |b|^2) clamped to [-1, 1]; NaN when either is zero. */
static inline double
HalfvecCosineSimilarity(int dim, const half *a, const half *b)
{
	VkCosineParts p = hk->cosine_parts(dim, a, b);
	double		similarity = (double) p.dot / sqrt((double) p.norm_a * (double) p.norm_b);

	if (similarity > 1)
		similarity = 1;
	else if (similarity < -1)
		similarity = -1;
	return similarity;
}

#endif
