/*
 * halfvec_kernels.c: the halfvec distance kernels (squared L2, inner product, L1, cosine
 * parts) in a portable scalar version and an AVX2/FMA/F16C version, and the run-time choice.
 *
 * As in vector_kernels.c, the SIMD functions are compiled with target attributes and only
 * called once __builtin_cpu_supports says the CPU has AVX2, FMA and F16C. F16C converts 8
 * halves to 8 floats in one instruction (exactly, as HalfToFloat4 does one by one).
 */
#include "halfvec_kernels.h"

#include <math.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HK_HAVE_F16C 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* Scalar ---------------------------------------------------------------------------------- */

static float
l2_squared_scalar(int dim, const half *a, const half *b)
{
	float		sum = 0;

	for (int i = 0; i < dim; i++)
	{
		float		diff = HalfToFloat4(a[i]) - HalfToFloat4(b[i]);

		sum += diff * diff;
	}
	return sum;
}

static float
inner_product_scalar(int dim, const half *a, const half *b)
{
	float		sum = 0;

	for (int i = 0; i < dim; i++)
		sum += HalfToFloat4(a[i]) * HalfToFloat4(b[i]);
	return sum;
}

static float
l1_scalar(int dim, const half *a, const half *b)
{
	float		sum = 0;

	for (int i = 0; i < dim; i++)
		sum += fabsf(HalfToFloat4(a[i]) - HalfToFloat4(b[i]));
	return sum;
}

static VkCosineParts
cosine_parts_scalar(int dim, const half *a, const half *b)
{
	VkCosineParts p = {0, 0, 0};

	for (int i = 0; i < dim; i++)
	{
		float		x = HalfToFloat4(a[i]);
		float		y = HalfToFloat4(b[i]);

		p.dot += x * y;
		p.norm_a += x * x;
		p.norm_b += y * y;
	}
	return p;
}

const HkKernels hk_scalar = {
	"scalar", l2_squared_scalar, inner_product_scalar, l1_scalar, cosine_parts_scalar
};

/* AVX2 / FMA / F16C ----------------------------------------------------------------------- */

#ifdef HK_HAVE_F16C

#define HK_TARGET __attribute__((target("avx2,fma,f16c")))

HK_TARGET static inline __m256
load8(const half *p)
{
	return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) p));
}

HK_TARGET static inline float
horizontal_sum(__m256 v)
{
	__m128		lo = _mm256_castps256_ps128(v);
	__m128		hi = _mm256_extractf128_ps(v, 1);
	__m128		s = _mm_add_ps(lo, hi);

	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

HK_TARGET static float
l2_squared_f16c(int dim, const half *a, const half *b)
{
	__m256		acc = _mm256_setzero_ps();
	int			i = 0;

	for (; i + 8 <= dim; i += 8)
	{
		__m256		d = _mm256_sub_ps(load8(a + i), load8(b + i));

		acc = _mm256_fmadd_ps(d, d, acc);
	}
	return horizontal_sum(acc) + l2_squared_scalar(dim - i, a + i, b + i);
}

/* Two accumulators, so consecutive multiply-adds do not wait for each other. */
HK_TARGET static float
inner_product_f16c(int dim, const half *a, const half *b)
{
	__m256		acc0 = _mm256_setzero_ps();
	__m256		acc1 = _mm256_setzero_ps();
	int			i = 0;

	for (; i + 16 <= dim; i += 16)
	{
		acc0 = _mm256_fmadd_ps(load8(a + i), load8(b + i), acc0);
		acc1 = _mm256_fmadd_ps(load8(a + i + 8), load8(b + i + 8), acc1);
	}
	for (; i + 8 <= dim; i += 8)
		acc0 = _mm256_fmadd_ps(load8(a + i), load8(b + i), acc0);
	return horizontal_sum(_mm256_add_ps(acc0, acc1)) + inner_product_scalar(dim - i, a + i, b + i);
}

HK_TARGET static float
l1_f16c(int dim, const half *a, const half *b)
{
	const __m256 sign = _mm256_set1_ps(-0.0f);
	__m256		acc = _mm256_setzero_ps();
	int			i = 0;

	for (; i + 8 <= dim; i += 8)
	{
		__m256		d = _mm256_sub_ps(load8(a + i), load8(b + i));

		acc = _mm256_add_ps(acc, _mm256_andnot_ps(sign, d));
	}
	return horizontal_sum(acc) + l1_scalar(dim - i, a + i, b + i);
}

HK_TARGET static VkCosineParts
cosine_parts_f16c(int dim, const half *a, const half *b)
{
	__m256		dot = _mm256_setzero_ps();
	__m256		na = _mm256_setzero_ps();
	__m256		nb = _mm256_setzero_ps();
	VkCosineParts p;
	VkCosineParts tail;
	int			i = 0;

	for (; i + 8 <= dim; i += 8)
	{
		__m256		va = load8(a + i);
		__m256		vb = load8(b + i);

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

const HkKernels hk_f16c = {
	"f16c", l2_squared_f16c, inner_product_f16c, l1_f16c, cosine_parts_f16c
};

/* F16C is bit 29 of CPUID leaf 1's ECX (clang's __builtin_cpu_supports does not know it). */
static int
cpu_has_f16c_bit(void)
{
	unsigned int eax,
				ebx,
				ecx,
				edx;

	return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29)) != 0;
}

int
hk_cpu_has_f16c(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c_bit();
}

#else							/* no F16C on this target: the scalar code twice */

const HkKernels hk_f16c = {
	"scalar", l2_squared_scalar, inner_product_scalar, l1_scalar, cosine_parts_scalar
};

int
hk_cpu_has_f16c(void)
{
	return 0;
}

#endif

/* The choice, made by the first call through hk ------------------------------------------- */

static float
l2_squared_unchosen(int dim, const half *a, const half *b)
{
	hk_choose(1);
	return hk->l2_squared(dim, a, b);
}

static float
inner_product_unchosen(int dim, const half *a, const half *b)
{
	hk_choose(1);
	return hk->inner_product(dim, a, b);
}

static float
l1_unchosen(int dim, const half *a, const half *b)
{
	hk_choose(1);
	return hk->l1(dim, a, b);
}

static VkCosineParts
cosine_parts_unchosen(int dim, const half *a, const half *b)
{
	hk_choose(1);
	return hk->cosine_parts(dim, a, b);
}

static const HkKernels hk_unchosen = {
	"unchosen", l2_squared_unchosen, inner_product_unchosen, l1_unchosen, cosine_parts_unchosen
};

const HkKernels *hk = &hk_unchosen;

void
hk_choose(int allow_simd)
{
	hk = (allow_simd && hk_cpu_has_f16c()) ? &hk_f16c : &hk_scalar;
}
