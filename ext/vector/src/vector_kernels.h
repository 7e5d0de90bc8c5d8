/*
 * vector_kernels.h: the distance kernels over two float arrays of the same length, in a
 * portable scalar version and an AVX2/FMA version chosen at run time.
 *
 * Plain C with no PostgreSQL headers, so the unit tests can compile it on its own. Callers go
 * through the vk_* pointers, which vk_choose() points at the fastest version this CPU runs.
 * Nothing returned is allocated.
 */
#ifndef STUDYBASE_VECTOR_KERNELS_H
#define STUDYBASE_VECTOR_KERNELS_H

typedef float (*vk_pair_fn) (int dim, const float *a, const float *b);

/* dot(a, b), |a|^2 and |b|^2 in one pass, for cosine similarity */
typedef struct VkCosineParts
{
	float		dot;
	float		norm_a;
	float		norm_b;
} VkCosineParts;
typedef VkCosineParts (*vk_cosine_fn) (int dim, const float *a, const float *b);

typedef struct VkKernels
{
	const char *name;			/* "scalar" or "avx2" */
	vk_pair_fn	l2_squared;
	vk_pair_fn	inner_product;
	vk_pair_fn	l1;
	vk_cosine_fn cosine_parts;
} VkKernels;

extern const VkKernels vk_scalar;
extern const VkKernels vk_avx2;

/* The kernels in use: vk_scalar until vk_choose() runs. */
extern const VkKernels *vk;

/* True when this CPU runs the AVX2/FMA kernels. */
extern int	vk_cpu_has_avx2_fma(void);

/* Points vk at the AVX2 kernels when allowed and supported, else at the scalar ones. */
extern void vk_choose(int allow_simd);

#endif
