/*
 * hnswtypes.c: the types an hnsw index can store, each described by an HnswElementType: how
 * many bytes one dimension takes, the dimension limit, how to copy a value's elements into a
 * node and normalise them, and which kernel computes each support function's distance. The
 * graph code (hnswutils.c and the rest) only ever sees elements as bytes through these.
 *
 * `vector` (float4 elements, up to 2,000 dimensions as in pgvector) is here; another type
 * (halfvec: 2-byte elements, up to 4,000) adds its own HnswElementType to element_types.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/syscache.h"

#include "hnsw.h"
#include "vector_kernels.h"

/* vector ------------------------------------------------------------------------------------ */

static int
vector_dims_of(Datum value)
{
	return DatumGetVector(value)->dim;
}

static void
vector_copy(Datum value, void *out)
{
	Vector	   *v = DatumGetVector(value);

	memcpy(out, v->x, sizeof(float) * v->dim);
}

static bool
vector_normalize(int dims, void *elems)
{
	float	   *x = elems;
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
vector_to_datum(int dims, const void *elems)
{
	Vector	   *v = InitVector(dims);

	memcpy(v->x, elems, sizeof(float) * dims);
	return PointerGetDatum(v);
}

static const HnswElementType vector_type = {
	.type_name = "vector",
	.elem_size = sizeof(float),
	.max_dims = HNSW_MAX_DIM,
	.dims_of = vector_dims_of,
	.copy = vector_copy,
	.normalize = vector_normalize,
	.kernel = vector_kernel,
	.to_datum = vector_to_datum,
};

/* The table ------------------------------------------------------------------------------- */

static const HnswElementType *const element_types[] = {
	&vector_type,
};

/* The element type of an indexed column's type (by name: the extension's types have no fixed
 * OIDs); an error for a type the index cannot store. */
const HnswElementType *
HnswFindElementType(Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	char		name[NAMEDATALEN] = "(unknown)";

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
			 errmsg("type %s is not supported by hnsw", name)));
	return NULL;
}
