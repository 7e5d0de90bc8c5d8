/*
 * halfvec_io.c: how a halfvec enters and leaves PostgreSQL: text input and output, binary send
 * and receive, the typmod `halfvec(n)`, and the casts to and from vector and arrays.
 *
 * The text form is the vector's (`[1,2,3]`); each number is read as a float4 and rounded to
 * the nearest half, and printed as the shortest text that reads back as the same float4. Every
 * check reports pgvector's message and SQLSTATE.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "halfvec.h"
#include "vecarray.h"
#include "vector.h"

HalfVector *
InitHalfVector(int dim)
{
	Size		size = HALFVEC_SIZE(dim);
	HalfVector *result = (HalfVector *) palloc0(size);

	SET_VARSIZE(result, size);
	result->dim = dim;
	return result;
}

void
CheckHalfvecDim(int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("halfvec must have at least 1 dimension")));
	if (dim > HALFVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("halfvec cannot have more than %d dimensions", HALFVEC_MAX_DIM)));
}

void
CheckHalfvecElement(float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in halfvec")));
	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in halfvec")));
}

void
CheckHalfvecSameDims(const HalfVector *a, const HalfVector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different halfvec dimensions %d and %d", a->dim, b->dim)));
}

static void
check_expected_dim(int32 typmod, int dim)
{
	if (typmod != -1 && typmod != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", typmod, dim)));
}

static void
report_out_of_range(const char *text)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("\"%s\" is out of range for type halfvec", text)));
}

/* A finite float4 as a half; one that rounds to infinity is out of range, named as printed. */
half
Float4ToHalf(float value)
{
	half		result = Float4ToHalfUnchecked(value);

	if (HalfIsInf(result) && !isinf(value))
	{
		char		number[FLOAT_SHORTEST_DECIMAL_LEN];

		float_to_shortest_decimal_buf(value, number);
		report_out_of_range(number);
	}
	return result;
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
			 errmsg("invalid input syntax for type halfvec: \"%s\"", literal),
			 detail ? errdetail("%s", detail) : 0));
}

/* Reads one element at *p, checks it, and returns it as a half; *p moves past it. */
static half
read_element(const char *literal, char **p)
{
	char	   *start = skip_spaces(*p);
	char	   *end;
	float		value;
	half		result;

	errno = 0;
	value = strtof(start, &end);
	if (end == start)
		report_bad_literal(literal, NULL);
	if (errno == ERANGE && isinf(value))
		report_out_of_range(pnstrdup(start, end - start));
	CheckHalfvecElement(value);
	result = Float4ToHalfUnchecked(value);
	if (HalfIsInf(result))
		report_out_of_range(pnstrdup(start, end - start));
	*p = end;
	return result;
}

PG_FUNCTION_INFO_V1(halfvec_in);
Datum
halfvec_in(PG_FUNCTION_ARGS)
{
	char	   *literal = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	half		values[HALFVEC_MAX_DIM];
	int			dim = 0;
	char	   *p = skip_spaces(literal);
	HalfVector *result;

	if (*p != '[')
		report_bad_literal(literal, "Vector contents must start with \"[\".");
	p = skip_spaces(p + 1);
	if (*p == ']')
		CheckHalfvecDim(0);

	for (;;)
	{
		if (dim == HALFVEC_MAX_DIM)
			CheckHalfvecDim(dim + 1);
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
	check_expected_dim(typmod, dim);

	result = InitHalfVector(dim);
	memcpy(result->x, values, sizeof(half) * dim);
	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_out);
Datum
halfvec_out(PG_FUNCTION_ARGS)
{
	HalfVector *vector = PG_GETARG_HALFVEC_P(0);
	StringInfoData buf;
	char		number[FLOAT_SHORTEST_DECIMAL_LEN];

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < vector->dim; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		float_to_shortest_decimal_buf(HalfToFloat4(vector->x[i]), number);
		appendStringInfoString(&buf, number);
	}
	appendStringInfoChar(&buf, ']');
	PG_FREE_IF_COPY(vector, 0);
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(halfvec_typmod_in);
Datum
halfvec_typmod_in(PG_FUNCTION_ARGS)
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
				 errmsg("dimensions for type halfvec must be at least 1")));
	if (values[0] > HALFVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type halfvec cannot exceed %d", HALFVEC_MAX_DIM)));
	PG_RETURN_INT32(values[0]);
}

PG_FUNCTION_INFO_V1(halfvec_recv);
Datum
halfvec_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	int16		dim = (int16) pq_getmsgint(buf, sizeof(int16));
	int16		unused = (int16) pq_getmsgint(buf, sizeof(int16));
	HalfVector *result;

	CheckHalfvecDim(dim);
	check_expected_dim(typmod, dim);
	if (unused != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected unused to be 0, not %d", unused)));

	result = InitHalfVector(dim);
	for (int i = 0; i < dim; i++)
	{
		result->x[i] = (half) pq_getmsgint(buf, sizeof(int16));
		CheckHalfvecElement(HalfToFloat4(result->x[i]));
	}
	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_send);
Datum
halfvec_send(PG_FUNCTION_ARGS)
{
	HalfVector *vector = PG_GETARG_HALFVEC_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, vector->dim);
	pq_sendint16(&buf, vector->unused);
	for (int i = 0; i < vector->dim; i++)
		pq_sendint16(&buf, vector->x[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* The cast halfvec -> halfvec(n): where PostgreSQL applies a column's typmod. */
PG_FUNCTION_INFO_V1(halfvec);
Datum
halfvec(PG_FUNCTION_ARGS)
{
	HalfVector *vector = PG_GETARG_HALFVEC_P(0);

	check_expected_dim(PG_GETARG_INT32(1), vector->dim);
	PG_RETURN_HALFVEC_P(vector);
}

PG_FUNCTION_INFO_V1(halfvec_to_vector);
Datum
halfvec_to_vector(PG_FUNCTION_ARGS)
{
	HalfVector *vector = PG_GETARG_HALFVEC_P(0);
	Vector	   *result;

	CheckExpectedDim(PG_GETARG_INT32(1), vector->dim);
	result = InitVector(vector->dim);
	for (int i = 0; i < vector->dim; i++)
		result->x[i] = HalfToFloat4(vector->x[i]);
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_to_halfvec);
Datum
vector_to_halfvec(PG_FUNCTION_ARGS)
{
	Vector	   *vector = PG_GETARG_VECTOR_P(0);
	HalfVector *result;

	check_expected_dim(PG_GETARG_INT32(1), vector->dim);
	result = InitHalfVector(vector->dim);
	for (int i = 0; i < vector->dim; i++)
		result->x[i] = Float4ToHalf(vector->x[i]);
	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(array_to_halfvec);
Datum
array_to_halfvec(PG_FUNCTION_ARGS)
{
	int			count;
	float	   *values = ArrayToFloat4s(PG_GETARG_ARRAYTYPE_P(0), &count);
	HalfVector *result;

	CheckHalfvecDim(count);
	check_expected_dim(PG_GETARG_INT32(1), count);
	result = InitHalfVector(count);
	for (int i = 0; i < count; i++)
	{
		CheckHalfvecElement(values[i]);
		result->x[i] = Float4ToHalf(values[i]);
	}
	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_to_float4);
Datum
halfvec_to_float4(PG_FUNCTION_ARGS)
{
	HalfVector *vector = PG_GETARG_HALFVEC_P(0);
	Datum	   *elements = palloc(sizeof(Datum) * vector->dim);

	for (int i = 0; i < vector->dim; i++)
		elements[i] = Float4GetDatum(HalfToFloat4(vector->x[i]));
	PG_RETURN_POINTER(construct_array(elements, vector->dim, FLOAT4OID,
									  sizeof(float4), true, TYPALIGN_INT));
}
