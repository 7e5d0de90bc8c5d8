/*
 * vector_io.c: how a vector enters and leaves PostgreSQL: text input and output, binary
 * send and receive, the typmod `vector(n)`, and casts from and to arrays.
 *
 * Every check reports pgvector's message and SQLSTATE, so code written against pgvector
 * sees the same errors here.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "vector.h"

PG_MODULE_MAGIC;

Vector *
InitVector(int dim)
{
	Size		size = VECTOR_SIZE(dim);
	Vector	   *result = (Vector *) palloc0(size);

	SET_VARSIZE(result, size);
	result->dim = dim;
	return result;
}

void
CheckVectorDim(int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vector must have at least 1 dimension")));
	if (dim > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("vector cannot have more than %d dimensions", VECTOR_MAX_DIM)));
}

void
CheckVectorElement(float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in vector")));
	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in vector")));
}

void
CheckExpectedDim(int32 typmod, int dim)
{
	if (typmod != -1 && typmod != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", typmod, dim)));
}

/* pgvector's notion of white space: the C locale's, spelled out so no locale changes it. */
static inline bool
is_vector_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static inline char *
skip_spaces(char *p)
{
	while (is_vector_space(*p))
		p++;
	return p;
}

static void
report_bad_literal(const char *literal, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type vector: \"%s\"", literal),
			 detail ? errdetail("%s", detail) : 0));
}

/* Reads one element at *p, checks it, and returns it; *p moves past it. */
static float
read_element(const char *literal, char **p)
{
	char	   *start = skip_spaces(*p);
	char	   *end;
	float		value;

	errno = 0;
	value = strtof(start, &end);
	if (end == start)
		report_bad_literal(literal, NULL);
	if (errno == ERANGE && isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("\"%s\" is out of range for type vector",
						pnstrdup(start, end - start))));
	CheckVectorElement(value);
	*p = end;
	return value;
}

PG_FUNCTION_INFO_V1(vector_in);
Datum
vector_in(PG_FUNCTION_ARGS)
{
	char	   *literal = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	float		values[VECTOR_MAX_DIM];
	int			dim = 0;
	char	   *p = skip_spaces(literal);
	Vector	   *result;

	if (*p != '[')
		report_bad_literal(literal, "Vector contents must start with \"[\".");
	p = skip_spaces(p + 1);
	if (*p == ']')
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vector must have at least 1 dimension")));

	for (;;)
	{
		if (dim == VECTOR_MAX_DIM)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("vector cannot have more than %d dimensions", VECTOR_MAX_DIM)));
		values[dim++] = read_element(literal, &p);
		p = skip_spaces(p);
		if (*p == ',')
			p++;
		else if (*p == ']')
			break;
		else
			report_bad_literal(literal, NULL);
	}

	p = skip_spaces(p + 1);
	if (*p != '\0')
		report_bad_literal(literal, "Junk after closing right brace.");
	CheckExpectedDim(typmod, dim);

	result = InitVector(dim);
	memcpy(result->x, values, sizeof(float) * dim);
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_out);
Datum
vector_out(PG_FUNCTION_ARGS)
{
	Vector	   *vector = PG_GETARG_VECTOR_P(0);
	StringInfoData buf;
	char		number[FLOAT_SHORTEST_DECIMAL_LEN];

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < vector->dim; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		float_to_shortest_decimal_buf(vector->x[i], number);
		appendStringInfoString(&buf, number);
	}
	appendStringInfoChar(&buf, ']');
	PG_FREE_IF_COPY(vector, 0);
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(vector_typmod_in);
Datum
vector_typmod_in(PG_FUNCTION_ARGS)
{
	ArrayType  *modifiers = PG_GETARG_ARRAYTYPE_P(0);
	int32	   *values;
	int			n;

	values = ArrayGetIntegerTypmods(modifiers, &n);
	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid type modifier")));
	if (values[0] < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type vector must be at least 1")));
	if (values[0] > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type vector cannot exceed %d", VECTOR_MAX_DIM)));
	PG_RETURN_INT32(values[0]);
}

PG_FUNCTION_INFO_V1(vector_recv);
Datum
vector_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	int16		dim = (int16) pq_getmsgint(buf, sizeof(int16));
	int16		unused = (int16) pq_getmsgint(buf, sizeof(int16));
	Vector	   *result;

	CheckVectorDim(dim);
	CheckExpectedDim(typmod, dim);
	if (unused != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected unused to be 0, not %d", unused)));

	result = InitVector(dim);
	for (int i = 0; i < dim; i++)
	{
		result->x[i] = pq_getmsgfloat4(buf);
		CheckVectorElement(result->x[i]);
	}
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_send);
Datum
vector_send(PG_FUNCTION_ARGS)
{
	Vector	   *vector = PG_GETARG_VECTOR_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint(&buf, vector->dim, sizeof(int16));
	pq_sendint(&buf, vector->unused, sizeof(int16));
	for (int i = 0; i < vector->dim; i++)
		pq_sendfloat4(&buf, vector->x[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* The cast vector -> vector(n): where PostgreSQL applies a column's typmod. */
PG_FUNCTION_INFO_V1(vector);
Datum
vector(PG_FUNCTION_ARGS)
{
	Vector	   *vector = PG_GETARG_VECTOR_P(0);

	CheckExpectedDim(PG_GETARG_INT32(1), vector->dim);
	PG_RETURN_VECTOR_P(vector);
}

/* One array element as a float4, whatever numeric type the array holds. */
static float
element_as_float(Datum element, Oid type)
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

PG_FUNCTION_INFO_V1(array_to_vector);
Datum
array_to_vector(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Oid			type = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elements;
	bool	   *nulls;
	int			count;
	Vector	   *result;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array must be 1-D")));
	if (ARR_HASNULL(array) && array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array must not contain nulls")));

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	deconstruct_array(array, type, typlen, typbyval, typalign, &elements, &nulls, &count);
	CheckVectorDim(count);
	CheckExpectedDim(typmod, count);

	result = InitVector(count);
	for (int i = 0; i < count; i++)
	{
		result->x[i] = element_as_float(elements[i], type);
		CheckVectorElement(result->x[i]);
	}
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_to_float4);
Datum
vector_to_float4(PG_FUNCTION_ARGS)
{
	Vector	   *vector = PG_GETARG_VECTOR_P(0);
	Datum	   *elements = palloc(sizeof(Datum) * vector->dim);

	for (int i = 0; i < vector->dim; i++)
		elements[i] = Float4GetDatum(vector->x[i]);
	PG_RETURN_POINTER(construct_array(elements, vector->dim, FLOAT4OID,
									  sizeof(float4), true, TYPALIGN_INT));
}
