/*
 * vector/kernels: the AVX2/FMA distance kernels agree with the scalar ones (within float
 * rounding) for every length, including the tails past a multiple of 8 and 16, and the
 * run-time choice falls back to scalar when SIMD is not allowed.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../../ext/vector/src/vector_kernels.h"

#define MAX_DIM 1031

/* A fixed pseudo-random sequence in [-1, 1) (xorshift), so failures reproduce. */
static float next_value(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (float) ((*s >> 8) / 8388608.0 - 1.0);
}

static void fill(float *a, float *b, int dim, uint32_t seed)
{
    for (int i = 0; i < dim; i++) {
        a[i] = next_value(&seed);
        b[i] = next_value(&seed);
    }
}

/* Close within float rounding of a sum of `dim` terms of magnitude up to `scale`. */
static void assert_close(float got, float want, int dim, float scale)
{
    float tolerance = 1e-5f * (float) dim * scale + 1e-6f;
    if (fabsf(got - want) > tolerance)
        fail_msg("got %.9g, want %.9g (tolerance %.3g, dim %d)", got, want, tolerance, dim);
}

static void simd_kernels_agree_with_scalar_for_every_length(void **state)
{
    static float a[MAX_DIM], b[MAX_DIM];
    const int dims[] = { 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 100, 384, 768, 1024, 1031 };
    if (!vk_cpu_has_avx2_fma())
        skip();
    for (size_t k = 0; k < sizeof(dims) / sizeof(dims[0]); k++) {
        int dim = dims[k];
        fill(a, b, dim, 2463534242u + (uint32_t) dim);
        assert_close(vk_avx2.l2_squared(dim, a, b), vk_scalar.l2_squared(dim, a, b), dim, 4);
        assert_close(vk_avx2.inner_product(dim, a, b), vk_scalar.inner_product(dim, a, b), dim, 1);
        assert_close(vk_avx2.l1(dim, a, b), vk_scalar.l1(dim, a, b), dim, 2);
        VkCosineParts s = vk_scalar.cosine_parts(dim, a, b);
        VkCosineParts v = vk_avx2.cosine_parts(dim, a, b);
        assert_close(v.dot, s.dot, dim, 1);
        assert_close(v.norm_a, s.norm_a, dim, 1);
        assert_close(v.norm_b, s.norm_b, dim, 1);
    }
}

static void kernels_compute_the_distances_exactly_on_small_integers(void **state)
{
    const float a[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 };
    const float b[] = { 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
    const VkKernels *all[] = { &vk_scalar, &vk_avx2 };
    for (int i = 0; i < 2; i++) {
        if (i == 1 && !vk_cpu_has_avx2_fma())
            break;
        /* differences -16, -14, ..., 16: squares sum to 1632, absolute values to 144 */
        assert_true(all[i]->l2_squared(17, a, b) == 1632.0f);
        assert_true(all[i]->inner_product(17, a, b) == 969.0f);
        assert_true(all[i]->l1(17, a, b) == 144.0f);
        VkCosineParts p = all[i]->cosine_parts(17, a, b);
        assert_true(p.dot == 969.0f && p.norm_a == 1785.0f && p.norm_b == 1785.0f);
    }
}

static void the_choice_falls_back_to_scalar_when_simd_is_not_allowed(void **state)
{
    vk_choose(0);
    assert_ptr_equal(vk, &vk_scalar);
    vk_choose(1);
    assert_ptr_equal(vk, vk_cpu_has_avx2_fma() ? &vk_avx2 : &vk_scalar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simd_kernels_agree_with_scalar_for_every_length),
        cmocka_unit_test(kernels_compute_the_distances_exactly_on_small_integers),
        cmocka_unit_test(the_choice_falls_back_to_scalar_when_simd_is_not_allowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
