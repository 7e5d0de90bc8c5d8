/*
 * vector/halfutils: the half-precision conversions halfvec stores and reads with
 * (ext/vector/src/halfutils.h), the halfvec distance kernels (halfvec_kernels.c: the F16C ones
 * agree with the scalar ones) and the bit-string kernels (bitutils.h).
 *
 * Half to float is checked by the round trip of every finite half; float to half against the
 * compiler's own _Float16 conversion (IEEE round to nearest, ties to even) over a dense sweep of
 * the float range a half covers, plus the cases pgvector's tests name. The bit kernels are
 * checked against a bit-by-bit count.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../../ext/vector/src/halfvec_kernels.h"
#include "../../../ext/vector/src/bitutils.h"

static float float_of_bits(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof(f));
    return f;
}

static void every_finite_half_survives_a_round_trip_through_float(void **state)
{
    for (uint32_t h = 0; h <= 0xffff; h++) {
        if (HalfIsNan((half) h) || HalfIsInf((half) h))
            continue;
        half back = Float4ToHalfUnchecked(HalfToFloat4((half) h));
        if (back != h)
            fail_msg("half 0x%04x came back as 0x%04x", h, back);
    }
}

static void half_to_float_gives_the_known_values(void **state)
{
    assert_true(HalfToFloat4(0x3c00) == 1.0f);
    assert_true(HalfToFloat4(0xc000) == -2.0f);
    assert_true(HalfToFloat4(0x7bff) == 65504.0f);
    assert_true(HalfToFloat4(0x0001) == ldexpf(1, -24));    /* smallest subnormal */
    assert_true(HalfToFloat4(0x0400) == ldexpf(1, -14));    /* smallest normal */
    assert_true(signbit(HalfToFloat4(0x8000)) && HalfToFloat4(0x8000) == 0);
    assert_true(isinf(HalfToFloat4(0x7c00)) && isnan(HalfToFloat4(0x7e00)));
}

#ifdef __FLT16_MAX__
static half reference_half(float f)
{
    _Float16 h = (_Float16) f;
    half bits;
    memcpy(&bits, &h, sizeof(bits));
    return bits;
}

/* Every 11th float from 2^-27 (below half's smallest subnormal) to 2^17 (past its largest), both signs. */
static void float_to_half_rounds_like_ieee(void **state)
{
    const uint32_t from = 0x32000000, to = 0x48000000;
    for (uint32_t bits = from; bits < to; bits += 11) {
        for (int sign = 0; sign < 2; sign++) {
            float f = float_of_bits(bits | (sign ? 0x80000000u : 0));
            half got = Float4ToHalfUnchecked(f), want = reference_half(f);
            if (got != want)
                fail_msg("%.9g became 0x%04x, want 0x%04x", f, got, want);
        }
    }
}
#endif

static void float_to_half_handles_the_edges(void **state)
{
    assert_int_equal(Float4ToHalfUnchecked(65519.0f), 0x7bff);  /* 65504 */
    assert_int_equal(Float4ToHalfUnchecked(65520.0f), 0x7c00);  /* the tie rounds to infinity */
    assert_int_equal(Float4ToHalfUnchecked(-1e10f), 0xfc00);
    assert_int_equal(Float4ToHalfUnchecked(2049.0f), 0x6800);   /* 2048: ties to even */
    assert_int_equal(Float4ToHalfUnchecked(2051.0f), 0x6802);   /* 2052: ties to even */
    assert_int_equal(Float4ToHalfUnchecked(1e-8f), 0x0000);
    assert_int_equal(Float4ToHalfUnchecked(-1e-8f), 0x8000);
    assert_int_equal(Float4ToHalfUnchecked(ldexpf(1, -25)), 0x0000);        /* half the smallest: to even */
    assert_int_equal(Float4ToHalfUnchecked(ldexpf(3, -26)), 0x0001);        /* 0.75 of it: up */
    assert_int_equal(Float4ToHalfUnchecked(ldexpf(1023.5f, -24)), 0x0400); /* up into the normals */
    assert_true(HalfIsNan(Float4ToHalfUnchecked(NAN)));
    assert_true(HalfIsInf(Float4ToHalfUnchecked(INFINITY)));
}

static void half_kernels_compute_the_distances_exactly_on_small_integers(void **state)
{
    half a[17], b[17];
    const HkKernels *all[] = { &hk_scalar, &hk_f16c };
    for (int i = 0; i < 17; i++) {
        a[i] = Float4ToHalfUnchecked((float) (i + 1));
        b[i] = Float4ToHalfUnchecked((float) (17 - i));
    }
    for (int k = 0; k < 2; k++) {
        if (k == 1 && !hk_cpu_has_f16c())
            break;
        /* differences -16, -14, ..., 16: squares sum to 1632, absolute values to 144 */
        assert_true(all[k]->l2_squared(17, a, b) == 1632.0f);
        assert_true(all[k]->inner_product(17, a, b) == 969.0f);
        assert_true(all[k]->l1(17, a, b) == 144.0f);
        VkCosineParts p = all[k]->cosine_parts(17, a, b);
        assert_true(p.dot == 969.0f && p.norm_a == 1785.0f && p.norm_b == 1785.0f);
    }
    assert_true(HalfvecCosineSimilarity(17, a, a) == 1.0);
}

/* Close within float rounding of a sum of `dim` terms of magnitude up to `scale`. */
static void assert_close(float got, float want, int dim, float scale)
{
    float tolerance = 1e-5f * (float) dim * scale + 1e-6f;
    if (fabsf(got - want) > tolerance)
        fail_msg("got %.9g, want %.9g (dim %d)", got, want, dim);
}

static void f16c_kernels_agree_with_scalar_for_every_length(void **state)
{
    enum { MAX_DIM = 261 };
    half a[MAX_DIM], b[MAX_DIM];
    uint32_t seed = 99;
    if (!hk_cpu_has_f16c())
        skip();
    for (int i = 0; i < MAX_DIM; i++) {
        seed = seed * 1103515245 + 12345;
        a[i] = Float4ToHalfUnchecked((float) ((seed >> 8) / 8388608.0 - 1.0));
        seed = seed * 1103515245 + 12345;
        b[i] = Float4ToHalfUnchecked((float) ((seed >> 8) / 8388608.0 - 1.0));
    }
    for (int dim = 0; dim <= MAX_DIM; dim++) {
        assert_close(hk_f16c.l2_squared(dim, a, b), hk_scalar.l2_squared(dim, a, b), dim, 4);
        assert_close(hk_f16c.inner_product(dim, a, b), hk_scalar.inner_product(dim, a, b), dim, 1);
        assert_close(hk_f16c.l1(dim, a, b), hk_scalar.l1(dim, a, b), dim, 2);
        VkCosineParts p = hk_f16c.cosine_parts(dim, a, b), q = hk_scalar.cosine_parts(dim, a, b);
        assert_close(p.dot, q.dot, dim, 1);
        assert_close(p.norm_a, q.norm_a, dim, 1);
        assert_close(p.norm_b, q.norm_b, dim, 1);
    }
}

static void the_first_call_chooses_the_kernels(void **state)
{
    half one = Float4ToHalfUnchecked(1.0f);
    assert_string_equal(hk->name, "unchosen");
    assert_true(HalfvecInnerProduct(1, &one, &one) == 1.0f);
    assert_ptr_equal(hk, hk_cpu_has_f16c() ? &hk_f16c : &hk_scalar);
    hk_choose(0);
    assert_ptr_equal(hk, &hk_scalar);
}

static int naive_bit(const unsigned char *s, int i)
{
    return (s[i / 8] >> (7 - i % 8)) & 1;
}

static void bit_kernels_agree_with_a_bit_by_bit_count(void **state)
{
    unsigned char a[40], b[40];
    uint32_t seed = 12345;
    for (int i = 0; i < 40; i++) {
        seed = seed * 1103515245 + 12345;
        a[i] = (unsigned char) (seed >> 16);
        seed = seed * 1103515245 + 12345;
        b[i] = (unsigned char) (seed >> 16);
    }
    for (int bytes = 0; bytes <= 40; bytes++) {
        int differ = 0, both = 0, either = 0;
        for (int i = 0; i < bytes * 8; i++) {
            differ += naive_bit(a, i) != naive_bit(b, i);
            both += naive_bit(a, i) & naive_bit(b, i);
            either += naive_bit(a, i) | naive_bit(b, i);
        }
        assert_int_equal(BitHammingDistance(bytes, a, b), differ);
        double want = either == 0 ? 1 : 1 - (double) both / either;
        assert_true(fabs(BitJaccardDistance(bytes, a, b) - want) < 1e-12);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_first_call_chooses_the_kernels),
        cmocka_unit_test(every_finite_half_survives_a_round_trip_through_float),
        cmocka_unit_test(half_to_float_gives_the_known_values),
#ifdef __FLT16_MAX__
        cmocka_unit_test(float_to_half_rounds_like_ieee),
#endif
        cmocka_unit_test(float_to_half_handles_the_edges),
        cmocka_unit_test(half_kernels_compute_the_distances_exactly_on_small_integers),
        cmocka_unit_test(f16c_kernels_agree_with_scalar_for_every_length),
        cmocka_unit_test(bit_kernels_agree_with_a_bit_by_bit_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
