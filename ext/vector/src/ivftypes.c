/*
 * ivftypes.c: the types an ivfflat index can store, each described by an IvfType: how many
 * bytes a value's elements take, the dimension limit, how to read a value's elements and
 * normalise them, which kernel computes each support function's distance, and how k-means
 * measures, adds up and rebuilds them. The build, insert, scan and k-means code only ever
 * sees values as bytes through these.
 *
 * - vector: float4 elements, up to 2,000 dimensions (pgvector's limit);
 * - halfvec: IEEE half elements, up to 4,000; k-means sums and divides in float4, and a
 *   centre is stored as halves, like the entries;
 * - bit: packed bits (most significant first, as the bit type stores them), up to 64,000;
 *   the distance is Hamming, and a centre's bit is the majority vote of its members' bits
 *   (each member adds +1 for a set bit, -1 for a clear one; a positive mean sets the bit,
 *   a tie clears it).
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/syscache.h"
#include "utils/varbit.h"

#include "bitutils.h"
#include "bitvec.h"
#include "halfvec.h"
#include "ivfflat.h"
#include "vector_kernels.h"

/* vector ------------------------------------------------------------------------------------ */

static Size
vector_item_size(int dims)
{
	return sizeof(float) * dims;
}

static const void *
vector_elements(Datum value, int *dims)
{
	Vector	   *v = DatumGetVector(value);

	*dims = v->dim;
	return v->x;
}

static bool
vector_normalize(int dims, void *elems)
{
	return IvfNormalize(dims, elems);
}

static float
vector_l2_squared(int dims, const void *a, const void *b)
{
	return vk->l2_squared(dims, a, b);
}

static float
vector_negative_inner_product(int dims, const void *a, const void *b)
{
	return -vk->inner_product(dims, a, b);
}

static float
vector_l2(int dims, const void *a, const void *b)
{
	return sqrtf(vk->l2_squared(dims, a, b));
}

static IvfDistanceFn
vector_kernel(const char *proc_name, bool *inner_product)
{
	*inner_product = strcmp(proc_name, "vector_negative_inner_product") == 0;
	if (*inner_product)
		return vector_negative_inner_product;
	if (strcmp(proc_name, "vector_l2_squared_distance") == 0)
		return vector_l2_squared;
	return NULL;
}

static void
vector_add_to_sum(int dims, const void *elems, float *sum)
{
	const float *x = elems;

	for (int i = 0; i < dims; i++)
		sum[i] += x[i];
}

static void
vector_from_floats(int dims, const float *x, void *out)
{
	memcpy(out, x, sizeof(float) * dims);
}

static Datum
vector_to_datum(int dims, const void *elems)
{
	Vector	   *v = InitVector(dims);

	memcpy(v->x, elems, sizeof(float) * dims);
	return PointerGetDatum(v);
}

static const IvfType vector_type = {
	.type_name = "vector",
	.max_dims = IVF_MAX_DIM,
	.dims_mismatch = "vector dimensions",
	.item_size = vector_item_size,
	.elements = vector_elements,
	.normalize = vector_normalize,
	.kernel = vector_kernel,
	.kmeans_distance = vector_l2,
	.add_to_sum = vector_add_to_sum,
	.from_floats = vector_from_floats,
	.to_datum = vector_to_datum,
};

/* halfvec ----------------------------------------------------------------------------------- */

static Size
halfvec_item_size(int dims)
{
	return sizeof(half) * dims;
}

static const void *
halfvec_elements(Datum value, int *dims)
{
	HalfVector *v = DatumGetHalfVector(value);

	*dims = v->dim;
	return v->x;
}

/* The mean of halves, or a unit vector's elements, are always within the half range. */
static void
halfvec_from_floats(int dims, const float *x, void *out)
{
	Float4sToHalvesUnchecked(dims, x, out);
}

static bool
halfvec_normalize(int dims, void *elems)
{
	half	   *h = elems;
	float	   *x = palloc(sizeof(float) * dims);
	bool		nonzero;

	for (int i = 0; i < dims; i++)
		x[i] = HalfToFloat4(h[i]);
	nonzero = IvfNormalize(dims, x);
	if (nonzero)
		halfvec_from_floats(dims, x, elems);
	pfree(x);
	return nonzero;
}

static float
halfvec_l2_squared(int dims, const void *a, const void *b)
{
	return hk->l2_squared(dims, a, b);
}

static float
halfvec_negative_inner_product(int dims, const void *a, const void *b)
{
	return -hk->inner_product(dims, a, b);
}

static float
halfvec_l2(int dims, const void *a, const void *b)
{
	return sqrtf(hk->l2_squared(dims, a, b));
}

static IvfDistanceFn
halfvec_kernel(const char *proc_name, bool *inner_product)
{
	*inner_product = strcmp(proc_name, "halfvec_negative_inner_product") == 0;
	if (*inner_product)
		return halfvec_negative_inner_product;
	if (strcmp(proc_name, "halfvec_l2_squared_distance") == 0)
		return halfvec_l2_squared;
	return NULL;
}

static void
halfvec_add_to_sum(int dims, const void *elems, float *sum)
{
	const half *h = elems;

	for (int i = 0; i < dims; i++)
		sum[i] += HalfToFloat4(h[i]);
}

static Datum
halfvec_to_datum(int dims, const void *elems)
{
	HalfVector *v = InitHalfVector(dims);

	memcpy(v->x, elems, sizeof(half) * dims);
	return PointerGetDatum(v);
}

static const IvfType halfvec_type = {
	.type_name = "halfvec",
	.max_dims = IVF_HALFVEC_MAX_DIM,
	.dims_mismatch = "halfvec dimensions",
	.item_size = halfvec_item_size,
	.elements = halfvec_elements,
	.normalize = halfvec_normalize,
	.kernel = halfvec_kernel,
	.kmeans_distance = halfvec_l2,
	.add_to_sum = halfvec_add_to_sum,
	.from_floats = halfvec_from_floats,
	.to_datum = halfvec_to_datum,
};

/* bit --------------------------------------------------------------------------------------- */

static Size
bit_item_size(int dims)
{
	return (dims + BITS_PER_BYTE - 1) / BITS_PER_BYTE;
}

static const void *
bit_elements(Datum value, int *dims)
{
	VarBit	   *v = DatumGetVarBitP(value);

	*dims = VARBITLEN(v);
	return VARBITS(v);
}

static float
bit_hamming(int dims, const void *a, const void *b)
{
	return (float) BitHammingDistance(bit_item_size(dims), a, b);
}

static IvfDistanceFn
bit_kernel(const char *proc_name, bool *inner_product)
{
	*inner_product = false;
	if (strcmp(proc_name, "hamming_distance") == 0)
		return bit_hamming;
	return NULL;
}

static inline bool
bit_is_set(const unsigned char *bits, int i)
{
	return (bits[i / BITS_PER_BYTE] >> (BITS_PER_BYTE - 1 - i % BITS_PER_BYTE)) & 1;
}

static void
bit_add_to_sum(int dims, const void *elems, float *sum)
{
	for (int i = 0; i < dims; i++)
		sum[i] += bit_is_set(elems, i) ? 1.0f : -1.0f;
}

/* Bit i set where x[i] > 0: the majority vote of a mean of +1s and -1s. */
static void
bit_from_floats(int dims, const float *x, void *out)
{
	unsigned char *bits = out;

	memset(bits, 0, bit_item_size(dims));
	for (int i = 0; i < dims; i++)
		if (x[i] > 0)
			bits[i / BITS_PER_BYTE] |= 1 << (BITS_PER_BYTE - 1 - i % BITS_PER_BYTE);
}

static Datum
bit_to_datum(int dims, const void *elems)
{
	VarBit	   *v = InitBitString(dims);

	memcpy(VARBITS(v), elems, bit_item_size(dims));
	return PointerGetDatum(v);
}

static const IvfType bit_type = {
	.type_name = "bit",
	.max_dims = IVF_BIT_MAX_DIM,
	.dims_mismatch = "bit lengths",
	.item_size = bit_item_size,
	.elements = bit_elements,
	.normalize = NULL,
	.kernel = bit_kernel,
	.kmeans_distance = bit_hamming,
	.add_to_sum = bit_add_to_sum,
	.from_floats = bit_from_floats,
	.to_datum = bit_to_datum,
};

/* The table --------------------------------------------------------------------------------- */

/*
 * The type description of an indexed column's type: bit by its fixed OID, the extension's
 * types by name (they have no fixed OIDs). Any other type (varbit included) is pgvector's
 * error.
 */
const IvfType *
IvfFindType(Oid typid)
{
	const IvfType *found = NULL;
	HeapTuple	tup;

	if (typid == BITOID)
		return &bit_type;
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (HeapTupleIsValid(tup))
	{
		const char *name = NameStr(((Form_pg_type) GETSTRUCT(tup))->typname);

		if (strcmp(name, vector_type.type_name) == 0)
			found = &vector_type;
		else if (strcmp(name, halfvec_type.type_name) == 0)
			found = &halfvec_type;
		ReleaseSysCache(tup);
	}
	if (found == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("type not supported for ivfflat index")));
	return found;
}
