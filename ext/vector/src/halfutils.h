/*
 * halfutils.h: IEEE 754 half precision (binary16) numbers as the `halfvec` type stores them,
 * converted to and from float4.
 *
 * Plain C with no PostgreSQL headers, so the unit tests compile it on its own. A half is kept
 * as its 16 raw bits (sign, 5 exponent bits, 10 mantissa bits). Conversions are exact from
 * half to float; float to half rounds to nearest, ties to even, as IEEE 754 does: a float at or
 * beyond 65520 in magnitude becomes infinity (the caller reports it), one below 2^-24 / 2
 * becomes a signed zero. The distance kernels over arrays of halves are in halfvec_kernels.h.
 */
#ifndef STUDYBASE_HALFUTILS_H
#define STUDYBASE_HALFUTILS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef uint16_t half;

#define HALF_MAX 65504.0f

static inline float
HalfToFloat4(half h)
{
	uint32_t	sign = (uint32_t) (h & 0x8000) << 16;
	uint32_t	exponent = (h >> 10) & 0x1f;
	uint32_t	mantissa = h & 0x3ff;
	uint32_t	bits;
	float		f;

	if (exponent == 0x1f)		/* infinity or NaN */
		bits = sign | 0x7f800000 | (mantissa << 13);
	else if (exponent != 0)		/* normal: rebias the exponent from 15 to 127 */
		bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
	else if (mantissa == 0)		/* signed zero */
		bits = sign;
	else
	{
		/* subnormal: mantissa units of 2^-24, exactly representable as a float */
		f = (float) mantissa * 5.9604644775390625e-08f;
		return sign ? -f : f;
	}
	memcpy(&f, &bits, sizeof(f));
	return f;
}

/* The nearest half (ties to even); infinity when |f| >= 65520, NaN stays NaN. */
static inline half
Float4ToHalfUnchecked(float f)
{
	uint32_t	bits;
	uint32_t	magnitude;
	uint16_t	sign;
	uint32_t	result;
	uint32_t	rest;

	memcpy(&bits, &f, sizeof(bits));
	sign = (uint16_t) ((bits >> 16) & 0x8000);
	magnitude = bits & 0x7fffffff;

	if (magnitude > 0x7f800000)	/* NaN: keep it a (quiet) NaN */
		return sign | 0x7e00;
	if (magnitude >= 0x477ff000)	/* 65520 and up round to infinity */
		return sign | 0x7c00;
	if (magnitude < 0x38800000)
	{
		/* below 2^-14: a subnormal half, in units of 2^-24 (the scaling is exact) */
		float		units = fabsf(f) * 16777216.0f;

		return sign | (uint16_t) rintf(units);	/* rounds to even; 1024 is 2^-14 itself */
	}

	/* normal: rebias the exponent, keep 10 mantissa bits, round the 13 dropped ones */
	result = (((magnitude >> 23) - 112) << 10) | ((magnitude & 0x7fffff) >> 13);
	rest = magnitude & 0x1fff;
	if (rest > 0x1000 || (rest == 0x1000 && (result & 1)))
		result++;				/* a carry into the exponent is still right */
	return sign | (uint16_t) result;
}

/* n floats to halves, each by Float4ToHalfUnchecked (the caller knows they are in range). */
static inline void
Float4sToHalvesUnchecked(int n, const float *x, half *out)
{
	for (int i = 0; i < n; i++)
		out[i] = Float4ToHalfUnchecked(x[i]);
}

static inline int
HalfIsNan(half h)
{
	return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
}

static inline int
HalfIsInf(half h)
{
	return (h & 0x7fff) == 0x7c00;
}

static inline int
HalfIsZero(half h)
{
	return (h & 0x7fff) == 0;
}

#endif
