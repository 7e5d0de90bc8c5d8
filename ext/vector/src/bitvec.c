/*
 * bitvec.c: PostgreSQL's own `bit` type as a binary vector: binary_quantize() from a vector
 * or halfvec (bit i set when element i is positive) and the distances hamming_distance (<~>)
 * and jaccard_distance (<%>), both float8, on bit strings of equal length.
 */
#include "postgres.h"

#include "utils/varbit.h"

#include "bitutils.h"
#include "bitvec.h"
#include "halfvec.h"
#include "vector.h"

VarBit *
InitBitString(int length)
{
	Size		size = VARBITTOTALLEN(length);
	VarBit	   *result = (VarBit *) palloc0(size);

	SET_VARSIZE(result, size);
	VARBITLEN(result) = length;
	return result;
}

static inline void
set_bit_at(VarBit *bits, int i)
{
	VARBITS(bits)[i / BITS_PER_BYTE] |= (bits8) (1 << (BITS_PER_BYTE - 1 - i % BITS_PER_BYTE));
}

PG_FUNCTION_INFO_V1(binary_quantize);
Datum
binary_quantize(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	VarBit	   *result = InitBitString(a->dim);

	for (int i = 0; i < a->dim; i++)
		if (a->x[i] > 0)
			set_bit_at(result, i);
	PG_RETURN_VARBIT_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_binary_quantize);
Datum
halfvec_binary_quantize(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	VarBit	   *result = InitBitString(a->dim);

	for (int i = 0; i < a->dim; i++)
		if (HalfToFloat4(a->x[i]) > 0)
			set_bit_at(result, i);
	PG_RETURN_VARBIT_P(result);
}

static void
check_same_length(const VarBit *a, const VarBit *b)
{
	if (VARBITLEN(a) != VARBITLEN(b))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different bit lengths %u and %u", VARBITLEN(a), VARBITLEN(b))));
}

PG_FUNCTION_INFO_V1(hamming_distance);
Datum
hamming_distance(PG_FUNCTION_ARGS)
{
	VarBit	   *a = PG_GETARG_VARBIT_P(0);
	VarBit	   *b = PG_GETARG_VARBIT_P(1);

	check_same_length(a, b);
	PG_RETURN_FLOAT8((double) BitHammingDistance(VARBITBYTES(a), VARBITS(a), VARBITS(b)));
}

PG_FUNCTION_INFO_V1(jaccard_distance);
Datum
jaccard_distance(PG_FUNCTION_ARGS)
{
	VarBit	   *a = PG_GETARG_VARBIT_P(0);
	VarBit	   *b = PG_GETARG_VARBIT_P(1);

	check_same_length(a, b);
	PG_RETURN_FLOAT8(BitJaccardDistance(VARBITBYTES(a), VARBITS(a), VARBITS(b)));
}
