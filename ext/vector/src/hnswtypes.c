/*
 * hnswtypes.c: the types an hnsw index can store, each described by an HnswElementType: the
 * bytes a stored value takes, the dimension limit, how to copy a value into a node and
 * normalise it, and which kernel computes each support function's distance. The graph code
 * (hnswutils.c and the rest) only ever sees values as bytes through these.
 *
 * Stored forms and limits (pgvector's):
 * - vector: dims float4s, up to 2,000 dimensions;
 * - halfvec: dims halves, up to 4,000 dimensions (8,000 bytes: the slots go to a neighbour
 *   tuple);
 * - bit: the bit string's bytes (dims bits, most significant first), up to 64,000 bits;
 * - sparsevec: the SparseVector itself (header, indices, values), so its size varies from
 *   node to node; at most 1,000 non-zero elements, any dimension count.
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
#include "hnsw.h"
#include "sparsevec.h"
#include "vector_kernels.h"

/* vector ------------------------------------------------------------------------------------ */

static Size
vector_stored_size(int dims, const void *stored)
{
	return sizeof(float) * dims;
}

static int
vector_dims_of(Datum value)
{
	return DatumGetVector(value)->dim;
}

static void *
vector_copy(Datum value)
{
	Vector	   *v = DatumGetVector(value);
	float	   *out = palloc(sizeof(float) * Max(v->dim, 1));

	memcpy(out, v->x, sizeof(float) * v->dim);
	return out;
}

static bool
vector_normalize(int dims, void *stored)
{
	float	   *x = stored;
	double		norm = 0;

	for (int i = 0; i < dims; i++)
		norm += (double) x[i] * (double) x[i];
	norm = sqrt(norm);
	if (norm == 0 || !isfinite(norm))
		return false;
	for (int i = 0; i < dims; i++)
		x[i] = (float) (x[i] / norm);
	return true;
}

/* The kernels, with the index's untyped signature (each a tail call of the chosen kernel). */
static float
vector_l2_squared(int dim, const void *a, const void *b)
{
	return vk->l2_squared(dim, a, b);
}

static float
vector_inner_product(int dim, const void *a, const void *b)
{
	return vk->inner_product(dim, a, b);
}

static float
vector_l1(int dim, const void *a, const void *b)
{
	return vk->l1(dim, a, b);
}

static HnswDistanceFn
vector_kernel(const char *proc_name, bool *negate)
{
	*negate = false;
	if (strcmp(proc_name, "vector_l2_squared_distance") == 0)
		return vector_l2_squared;
	if (strcmp(proc_name, "vector_negative_inner_product") == 0)
	{
		*negate = true;
		return vector_inner_product;
	}
	if (strcmp(proc_name, "l1_distance") == 0)
		return vector_l1;
	return NULL;
}

static Datum
vector_to_datum(int dims, const void *stored)
{
	Vector	   *v = InitVector(dims);

	memcpy(v->x, stored, sizeof(float) * dims);
	return PointerGetDatum(v);
}

static const HnswElementType vector_type = {
	.type_name = "vector",
	.max_dims = HNSW_MAX_DIM,
	.stored_size = vector_stored_size,
	.dims_of = vector_dims_of,
	.copy = vector_copy,
	.normalize = vector_normalize,
	.kernel = vector_kernel,
	.to_datum = vector_to_datum,
	.dims_error = "different vector dimensions %d and %d",
};

/* halfvec ----------------------------------------------------------------------------------- */

static Size
halfvec_stored_size(int dims, const void *stored)
{
	return sizeof(half) * dims;
}

static int
halfvec_dims_of(Datum value)
{
	return DatumGetHalfVector(value)->dim;
}

static void *
halfvec_copy(Datum value)
{
	HalfVector *v = DatumGetHalfVector(value);
	half	   *out = palloc(sizeof(half) * Max(v->dim, 1));

	memcpy(out, v->x, sizeof(half) * v->dim);
	return out;
}

/* As l2_normalize(halfvec): each element divided by the norm (in float8), rounded to a half. */
static bool
halfvec_normalize(int dims, void *stored)
{
	half	   *x = stored;
	double		norm = 0;

	for (int i = 0; i < dims; i++)
	{
		double		e = HalfToFloat4(x[i]);

		norm += e * e;
	}
	norm = sqrt(norm);
	if (norm == 0 || !isfinite(norm))
		return false;
	for (int i = 0; i < dims; i++)
		x[i] = Float4ToHalfUnchecked((float) (HalfToFloat4(x[i]) / norm));
	return true;
}

static float
halfvec_l2_squared(int dim, const void *a, const void *b)
{
	return HalfvecL2SquaredDistance(dim, a, b);
}

static float
halfvec_inner_product(int dim, const void *a, const void *b)
{
	return HalfvecInnerProduct(dim, a, b);
}

static float
halfvec_l1(int dim, const void *a, const void *b)
{
	return HalfvecL1Distance(dim, a, b);
}

static HnswDistanceFn
halfvec_kernel(const char *proc_name, bool *negate)
{
	*negate = false;
	if (strcmp(proc_name, "halfvec_l2_squared_distance") == 0)
		return halfvec_l2_squared;
	if (strcmp(proc_name, "halfvec_negative_inner_product") == 0)
	{
		*negate = true;
		return halfvec_inner_product;
	}
	if (strcmp(proc_name, "l1_distance") == 0)
		return halfvec_l1;
	return NULL;
}

static Datum
halfvec_to_datum(int dims, const void *stored)
{
	HalfVector *v = InitHalfVector(dims);

	memcpy(v->x, stored, sizeof(half) * dims);
	return PointerGetDatum(v);
}

static const HnswElementType halfvec_type = {
	.type_name = "halfvec",
	.max_dims = HNSW_MAX_HALFVEC_DIM,
	.stored_size = halfvec_stored_size,
	.dims_of = halfvec_dims_of,
	.copy = halfvec_copy,
	.normalize = halfvec_normalize,
	.kernel = halfvec_kernel,
	.to_datum = halfvec_to_datum,
	.dims_error = "different halfvec dimensions %d and %d",
};

/* Half-precision search copies for a build ----------------------------------------------- */

/*
 * Whether a build of this index may search its in-memory graph with half-precision copies of
 * the values (HnswHalfSearchCopies), and if so (out not NULL) the description of that graph:
 * a vector index under cosine, whose stored values are unit vectors, so every element is in
 * [-1, 1], well inside a half's range, and a half's 11 significant bits leave an inner
 * product of them within about 1e-3 of the float one. The search reads half the bytes per
 * distance, and the build's searches are bound by memory traffic. Other operator classes
 * take any magnitude (a half overflows past 65,504) and search the values as stored.
 */
bool
HnswHalfSearchInfo(const HnswIndexInfo *info, HnswIndexInfo *out)
{
	if (info->type != &vector_type || !info->normalize || info->distance != vector_inner_product)
		return false;
	if (out != NULL)
	{
		*out = *info;
		out->type = &halfvec_type;
		out->max_value_size = halfvec_stored_size(info->dims, NULL);
		out->normalize = false;	/* copies of values already normalised */
		out->distance = halfvec_inner_product;
		out->negate = true;
	}
	return true;
}

/* The half-precision copy of a stored vector value (dims floats, unit length). */
void
HnswHalfSearchCopy(int dims, const void *value, void *out)
{
	Float4sToHalvesUnchecked(dims, value, out);
}

/* bit: dims is the length in bits ------------------------------------------------------------ */

static Size
bit_stored_size(int dims, const void *stored)
{
	return (Size) (dims + BITS_PER_BYTE - 1) / BITS_PER_BYTE;
}

static int
bit_dims_of(Datum value)
{
	return VARBITLEN(DatumGetVarBitP(value));
}

static void *
bit_copy(Datum value)
{
	VarBit	   *v = DatumGetVarBitP(value);
	Size		size = VARBITBYTES(v);
	void	   *out = palloc(Max(size, 1));

	memcpy(out, VARBITS(v), size);
	return out;
}

static float
bit_hamming(int dim, const void *a, const void *b)
{
	return (float) BitHammingDistance(bit_stored_size(dim, NULL), a, b);
}

static float
bit_jaccard(int dim, const void *a, const void *b)
{
	return (float) BitJaccardDistance(bit_stored_size(dim, NULL), a, b);
}

static HnswDistanceFn
bit_kernel(const char *proc_name, bool *negate)
{
	*negate = false;
	if (strcmp(proc_name, "hamming_distance") == 0)
		return bit_hamming;
	if (strcmp(proc_name, "jaccard_distance") == 0)
		return bit_jaccard;
	return NULL;
}

static Datum
bit_to_datum(int dims, const void *stored)
{
	VarBit	   *v = InitBitString(dims);

	memcpy(VARBITS(v), stored, bit_stored_size(dims, NULL));
	return PointerGetDatum(v);
}

static const HnswElementType bit_type = {
	.type_name = "bit",
	.max_dims = HNSW_MAX_BIT_DIM,
	.stored_size = bit_stored_size,
	.dims_of = bit_dims_of,
	.copy = bit_copy,
	.normalize = NULL,			/* no cosine opclass */
	.kernel = bit_kernel,
	.to_datum = bit_to_datum,
	.dims_error = "different bit lengths %d and %d",
};

/* sparsevec: stored as the SparseVector; all zero bytes read as no non-zero element ---------- */

static Size
sparsevec_stored_size(int dims, const void *stored)
{
	if (stored == NULL)
		return SPARSEVEC_SIZE(Min(dims, HNSW_MAX_NNZ));
	return SPARSEVEC_SIZE(((const SparseVector *) stored)->nnz);
}

static int
sparsevec_dims_of(Datum value)
{
	return DatumGetSparseVector(value)->dim;
}

static void *
sparsevec_copy(Datum value)
{
	SparseVector *v = DatumGetSparseVector(value);
	Size		size = SPARSEVEC_SIZE(v->nnz);
	void	   *out = palloc(size);

	memcpy(out, v, size);
	return out;
}

static void
sparsevec_check(int dims, const void *stored)
{
	int			nnz = ((const SparseVector *) stored)->nnz;

	if (nnz > HNSW_MAX_NNZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more than %d non-zero elements for hnsw index", HNSW_MAX_NNZ)));
}

/* As l2_normalize(sparsevec), in place: values that become zero are dropped (it only shrinks). */
static bool
sparsevec_normalize(int dims, void *stored)
{
	SparseVector *v = stored;
	SparseVector *normalized;

	if (SparsevecNorm(v) == 0)
		return false;
	normalized = SparsevecL2Normalize(v);
	memcpy(v, normalized, SPARSEVEC_SIZE(normalized->nnz));
	pfree(normalized);
	return true;
}

static float
sparsevec_l2_squared(int dim, const void *a, const void *b)
{
	return SparsevecL2SquaredDistance(a, b);
}

static float
sparsevec_inner_product(int dim, const void *a, const void *b)
{
	return SparsevecInnerProduct(a, b);
}

static float
sparsevec_l1(int dim, const void *a, const void *b)
{
	return SparsevecL1Distance(a, b);
}

static HnswDistanceFn
sparsevec_kernel(const char *proc_name, bool *negate)
{
	*negate = false;
	if (strcmp(proc_name, "sparsevec_l2_squared_distance") == 0)
		return sparsevec_l2_squared;
	if (strcmp(proc_name, "sparsevec_negative_inner_product") == 0)
	{
		*negate = true;
		return sparsevec_inner_product;
	}
	if (strcmp(proc_name, "l1_distance") == 0)
		return sparsevec_l1;
	return NULL;
}

/* A fresh SparseVector (a stored one may be all zeros, without a header). */
static Datum
sparsevec_to_datum(int dims, const void *stored)
{
	const SparseVector *s = stored;
	SparseVector *v = InitSparseVector(dims, s->nnz);

	memcpy(v->indices, s->indices, sizeof(int32) * s->nnz);
	memcpy(SparsevecValues(v), SparsevecValues(s), sizeof(float) * s->nnz);
	return PointerGetDatum(v);
}

static const HnswElementType sparsevec_type = {
	.type_name = "sparsevec",
	.max_dims = SPARSEVEC_MAX_DIM,
	.stored_size = sparsevec_stored_size,
	.dims_of = sparsevec_dims_of,
	.copy = sparsevec_copy,
	.check = sparsevec_check,
	.normalize = sparsevec_normalize,
	.kernel = sparsevec_kernel,
	.to_datum = sparsevec_to_datum,
	.dims_error = "different sparsevec dimensions %d and %d",
};

/* The table ------------------------------------------------------------------------------- */

static const HnswElementType *const element_types[] = {
	&vector_type,
	&halfvec_type,
	&bit_type,
	&sparsevec_type,
};

/*
 * The element type of an indexed column's type (by name: the extension's types have no fixed
 * OIDs); an error for a type the index cannot store, as pgvector's for varbit (bit_hamming_ops
 * accepts it, but a node needs a fixed length).
 */
const HnswElementType *
HnswFindElementType(Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	char		name[NAMEDATALEN] = "";

	if (HeapTupleIsValid(tup))
	{
		strlcpy(name, NameStr(((Form_pg_type) GETSTRUCT(tup))->typname), NAMEDATALEN);
		ReleaseSysCache(tup);
	}
	for (int i = 0; i < lengthof(element_types); i++)
		if (strcmp(element_types[i]->type_name, name) == 0)
			return element_types[i];
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("type not supported for hnsw index")));
	return NULL;
}
