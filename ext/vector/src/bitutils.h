/*
 * bitutils.h: the distance kernels over two bit strings of the same length (PostgreSQL's `bit`
 * type, most significant bit first, unused bits of the last byte zero): Hamming (how many bits
 * differ) and Jaccard (1 - |a AND b| / |a OR b|).
 *
 * Plain C with no PostgreSQL headers. Counts go through __builtin_popcountll on 8 bytes at a
 * time, then the remaining bytes one by one.
 */
#ifndef STUDYBASE_BITUTILS_H
#define STUDYBASE_BITUTILS_H

#include <stdint.h>
#include <string.h>

static inline uint64_t
bits_load64(const unsigned char *p)
{
	uint64_t	word;

	memcpy(&word, p, sizeof(word));
	return word;
}

static inline uint64_t
BitHammingDistance(int bytes, const unsigned char *a, const unsigned char *b)
{
	uint64_t	distance = 0;
	int			i = 0;

	for (; i + 8 <= bytes; i += 8)
		distance += __builtin_popcountll(bits_load64(a + i) ^ bits_load64(b + i));
	for (; i < bytes; i++)
		distance += __builtin_popcount(a[i] ^ b[i]);
	return distance;
}

/* 1 - |a AND b| / |a OR b|, counted as |a| + |b| - |a AND b|; 1 when both are all zeros. */
static inline double
BitJaccardDistance(int bytes, const unsigned char *a, const unsigned char *b)
{
	uint64_t	both = 0;
	uint64_t	count_a = 0;
	uint64_t	count_b = 0;
	int			i = 0;

	for (; i + 8 <= bytes; i += 8)
	{
		uint64_t	x = bits_load64(a + i);
		uint64_t	y = bits_load64(b + i);

		both += __builtin_popcountll(x & y);
		count_a += __builtin_popcountll(x);
		count_b += __builtin_popcountll(y);
	}
	for (; i < bytes; i++)
	{
		both += __builtin_popcount(a[i] & b[i]);
		count_a += __builtin_popcount(a[i]);
		count_b += __builtin_popcount(b[i]);
	}
	if (count_a + count_b - both == 0)
		return 1;
	return 1 - (double) both / (double) (count_a + count_b - both);
}

#endif
