/*
 * vector_kernels.c: the distance kernels (squared L2, inner product, L1, cosine parts) in a
 * portable scalar version and an AVX2/FMA version, and the run-time choice between them.
 *
 * The AVX2 functions are compiled with target attributes, so the file builds for any x86-64
 * (or non-x86) target and only calls them once __builtin_cpu_supports says the CPU has both
 * AVX2 and FMA. Both versions sum in float4; the AVX2 ones in 8 lanes x 2 accumulators, so
 * results differ from the scalar ones only by rounding.
 */
#include "vector_kernels.h"

#include <math.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VK_HAVE_AVX2 1
#include <immintrin.h>
#endif

/* Scalar ---------------------------------------------------------------------------------- */

static float
l2_squared_scalar(int dim, const float *a, const float *b)
{
	float		sum = 0;

	for (int i = 0; i < dim; i++)
	{
		float		diff = a[i] - b[i];

		sum += diff * diff;
	}
	return sum;
}

static float
inner_product_scalar(int dim, const float *a, const float *b)
{
	float		sum = 0;

	for (int i = 0; i < dim; i++)
		sum += a[i] * b[i];
	return sum;
}

static float
l1_scalar(int dim, const float *a, const float *b)
{
	float		sum = 0;

	for (int i = 0; i < dim; i++)
		sum += fabsf(a[i] - b[i]);
	return sum;
}

static VkCosineParts
cosine_parts_scalar(int dim, const float *a, const float *b)
{
	VkCosineParts p = {0, 0, 0};

	for (int i = 0; i < dim; i++)
	{
		p.dot += a[i] * b[i];
		p.norm_a += a[i] * a[i];
		p.norm_b += b[i] * b[i];
	}
	return p;
}

const VkKernels vk_scalar = {
	"scalar", l2_squared_scalar, inner_product_scalar, l1_scalar, cosine_parts_scalar
};

/* AVX2 / FMA ------------------------------------------------------------------------------ */

#ifdef VK_HAVE_AVX2

#define VK_TARGET __attribute__((target("avx2,fma")))

VK_TARGET static inline float
horizontal_sum(__m256 v)
{
	__m128		lo = _mm256_castps256_ps128(v);
	__m128		hi = _mm256_extractf128_ps(v, 1);
	__m128		s = _mm_add_ps(lo, hi);

	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

VK_TARGET static float
l2_squared_avx2(int dim, const float *a, const float *b)
{
	__m256		acc0 = _mm256_setzero_ps();
	__m256		acc1 = _mm256_setzero_ps();
	int			i = 0;
	float		sum;

	for (; i + 16 <= dim; i += 16)
	{
		__m256		d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		__m256		d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));

		acc0 = _mm256_fmadd_ps(d0, d0, acc0);
		acc1 = _mm256_fmadd_ps(d1, d1, acc1);
	}
	for (; i + 8 <= dim; i += 8)
	{
		__m256		d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));

		acc0 = _mm256_fmadd_ps(d0, d0, acc0);
	}
	sum = horizontal_sum(_mm256_add_ps(acc0, acc1));
	return sum + l2_squared_scalar(dim - i, a + i, b + i);
}

VK_TARGET static float
inner_product_avx2(int dim, const float *a, const float *b)
{
	__m256		acc0 = _mm256_setzero_ps();
	__m256		acc1 = _mm256_setzero_ps();
	int			i = 0;
	float		sum;

	for (; i + 16 <= dim; i += 16)
	{
		acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
		acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
	}
	for (; i + 8 <= dim; i += 8)
		acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
	sum = horizontal_sum(_mm256_add_ps(acc0, acc1));
	return sum + inner_product_scalar(dim - i, a + i, b + i);
}

VK_TARGET static float
l1_avx2(int dim, const float *a, const float *b)
{
	const __m256 sign = _mm256_set1_ps(-0.0f);
	__m256		acc = _mm256_setzero_ps();
	int			i = 0;
	float		sum;

	for (; i + 8 <= dim; i += 8)
	{
		__m256		d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));

		acc = _mm256_add_ps(acc, _mm256_andnot_ps(sign, d));
	}
	sum = horizontal_sum(acc);
	return sum + l1_scalar(dim - i, a + i, b + i);
}

VK_TARGET static VkCosineParts
cosine_parts_avx2(int dim, const float *a, const float *b)
{
	__m256		dot = _mm256_setzero_ps();
	__m256		na = _mm256_setzero_ps();
	__m256		nb = _mm256_setzero_ps();
	__m256		dot1 = _mm256_setzero_ps();
	__m256		na1 = _mm256_setzero_ps();
	__m256		nb1 = _mm256_setzero_ps();
	VkCosineParts p;
	VkCosineParts tail;
	int			i = 0;

	/* two sets of accumulators, so the FMA latency chains overlap */
	for (; i + 16 <= dim; i += 16)
	{
		__m256		va = _mm256_loadu_ps(a + i);
		__m256		vb = _mm256_loadu_ps(b + i);
		__m256		va1 = _mm256_loadu_ps(a + i + 8);
		__m256		vb1 = _mm256_loadu_ps(b + i + 8);

		dot = _mm256_fmadd_ps(va, vb, dot);
		na = _mm256_fmadd_ps(va, va, na);
		nb = _mm256_fmadd_ps(vb, vb, nb);
		dot1 = _mm256_fmadd_ps(va1, vb1, dot1);
		na1 = _mm256_fmadd_ps(va1, va1, na1);
		nb1 = _mm256_fmadd_ps(vb1, vb1, nb1);
	}
	dot = _mm256_add_ps(dot, dot1);
	na = _mm256_add_ps(na, na1);
	nb = _mm256_add_ps(nb, nb1);
	for (; i + 8 <= dim; i += 8)
	{
		__m256		va = _mm256_loadu_ps(a + i);
		__m256		vb = _mm256_loadu_ps(b + i);

		dot = _mm256_fmadd_ps(va, vb, dot);
		na = _mm256_fmadd_ps(va, va, na);
		nb = _mm256_fmadd_ps(vb, vb, nb);
	}
	tail = cosine_parts_scalar(dim - i, a + i, b + i);
	p.dot = horizontal_sum(dot) + tail.dot;
	p.norm_a = horizontal_sum(na) + tail.norm_a;
	p.norm_b = horizontal_sum(nb) + tail.norm_b;
	return p;
}

const VkKernels vk_avx2 = {
	"avx2", l2_squared_avx2, inner_product_avx2, l1_avx2, cosine_parts_avx2
};

int
vk_cpu_has_avx2_fma(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#else							/* no AVX2 on this target: the scalar code twice */

const VkKernels vk_avx2 = {
	"scalar", l2_squared_scalar, inner_product_scalar, l1_scalar, cosine_parts_scalar
};

int
vk_cpu_has_avx2_fma(void)
{
	return 0;
}

#endif

const VkKernels *vk = &vk_scalar;

void
vk_choose(int allow_simd)
{
	vk = (allow_simd && vk_cpu_has_avx2_fma()) ? &vk_avx2 : &vk_scalar;
}
