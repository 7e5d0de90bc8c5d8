/*
 * vecarray.c: reading a numeric array for the casts from arrays to halfvec and sparsevec.
 *
 * The elements become float4 first, as in the casts to vector (vector_io.c): a double or
 * numeric beyond float4's range becomes an infinity, which the caller refuses with its own
 * type's message.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "vecarray.h"

static float
element_to_float4(Datum element, Oid type)
{
	switch (type)
	{
		case INT4OID:
			return (float) DatumGetInt32(element);
		case FLOAT8OID:
			return (float) DatumGetFloat8(element);
		case FLOAT4OID:
			return DatumGetFloat4(element);
		case NUMERICOID:
			return DatumGetFloat4(DirectFunctionCall1(numeric_float4, element));
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("unsupported array type")));
	}
	return 0;					/* not reached */
}

float *
ArrayToFloat4s(ArrayType *array, int *count)
{
	Oid			type = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elements;
	bool	   *nulls;
	float	   *values;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array must be 1-D")));
	if (ARR_HASNULL(array) && array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array must not contain nulls")));

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	deconstruct_array(array, type, typlen, typbyval, typalign, &elements, &nulls, count);
	values = palloc(sizeof(float) * Max(*count, 1));
	for (int i = 0; i < *count; i++)
		values[i] = element_to_float4(elements[i], type);
	pfree(elements);
	pfree(nulls);
	return values;
}
