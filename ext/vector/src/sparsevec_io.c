/*
 * sparsevec_io.c: how a sparsevec enters and leaves PostgreSQL: text input (`{1:1.5,3:2}/5`)
 * and output, binary send and receive, the typmod `sparsevec(n)`, and the casts to and from
 * vector, halfvec and arrays.
 *
 * Text input accepts elements in any order and zero values (dropped), and refuses duplicate
 * indices; every check reports pgvector's message and SQLSTATE. Unlike vector and halfvec, a
 * number that underflows float4 is out of range here too (pgvector's behaviour).
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "halfvec.h"
#include "sparsevec.h"
#include "vecarray.h"
#include "vector.h"

SparseVector *
InitSparseVector(int dim, int nnz)
{
	Size		size = SPARSEVEC_SIZE(nnz);
	SparseVector *result = (SparseVector *) palloc0(size);

	SET_VARSIZE(result, size);
	result->dim = dim;
	result->nnz = nnz;
	return result;
}

void
CheckSparsevecDim(int64 dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("sparsevec must have at least 1 dimension")));
	if (dim > SPARSEVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more than %d dimensions", SPARSEVEC_MAX_DIM)));
}

void
CheckSparsevecNnz(int nnz)
{
	if (nnz > SPARSEVEC_MAX_NNZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more than %d non-zero elements",
						SPARSEVEC_MAX_NNZ)));
}

void
CheckSparsevecElement(float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in sparsevec")));
	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in sparsevec")));
}

void
CheckSparsevecSameDims(const SparseVector *a, const SparseVector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different sparsevec dimensions %d and %d", a->dim, b->dim)));
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
report_index_out_of_bounds(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("sparsevec index out of bounds")));
}

static void
report_duplicate_index(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("sparsevec indices must not contain duplicates")));
}

/* A sparsevec of `dim` dimensions from its dense elements: the non-zero ones, checked. */
static SparseVector *
sparsevec_from_floats(const float *values, int dim)
{
	SparseVector *result;
	float	   *result_values;
	int			nnz = 0;

	for (int i = 0; i < dim; i++)
	{
		CheckSparsevecElement(values[i]);
		if (values[i] != 0)
			nnz++;
	}
	CheckSparsevecNnz(nnz);
	result = InitSparseVector(dim, nnz);
	result_values = SparsevecValues(result);
	nnz = 0;
	for (int i = 0; i < dim; i++)
		if (values[i] != 0)
		{
			result->indices[nnz] = i;
			result_values[nnz++] = values[i];
		}
	return result;
}

/* Text input ------------------------------------------------------------------------------ */

typedef struct SparseInputElement
{
	int64		index;			/* as written: 1-based, not yet checked */
	float		value;
} SparseInputElement;

typedef struct SparseInput
{
	const char *literal;
	SparseInputElement *elements;
	int			count;			/* elements read, zeros included */
	int			capacity;
	int			nonzero;
} SparseInput;

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
			 errmsg("invalid input syntax for type sparsevec: \"%s\"", literal),
			 detail ? errdetail("%s", detail) : 0));
}

/* An integer at *p (an index or the dimension count); *p moves past it. */
static int64
read_integer(const char *literal, char **p)
{
	char	   *start = skip_spaces(*p);
	char	   *end;
	long		value;

	errno = 0;
	value = strtol(start, &end, 10);
	if (end == start)
		report_bad_literal(literal, NULL);
	*p = end;
	return value;				/* out of long's range: LONG_MIN or LONG_MAX, refused later */
}

static float
read_value(const char *literal, char **p)
{
	char	   *start = skip_spaces(*p);
	char	   *end;
	float		value;

	errno = 0;
	value = strtof(start, &end);
	if (end == start)
		report_bad_literal(literal, NULL);
	if (errno == ERANGE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("\"%s\" is out of range for type sparsevec",
						pnstrdup(start, end - start))));
	CheckSparsevecElement(value);
	*p = end;
	return value;
}

static void
add_element(SparseInput *input, int64 index, float value)
{
	if (value != 0)
	{
		input->nonzero++;
		CheckSparsevecNnz(input->nonzero);
	}
	if (input->count == input->capacity)
	{
		input->capacity *= 2;
		input->elements = repalloc(input->elements,
								   sizeof(SparseInputElement) * input->capacity);
	}
	input->elements[input->count].index = index;
	input->elements[input->count].value = value;
	input->count++;
}

/* Reads `index:value, ...` up to the closing brace; *p moves past it. */
static void
read_elements(SparseInput *input, char **p)
{
	*p = skip_spaces(*p);
	if (**p == '}')
	{
		(*p)++;
		return;
	}
	for (;;)
	{
		int64		index = read_integer(input->literal, p);
		float		value;

		*p = skip_spaces(*p);
		if (**p != ':')
			report_bad_literal(input->literal, NULL);
		(*p)++;
		value = read_value(input->literal, p);
		add_element(input, index, value);
		*p = skip_spaces(*p);
		if (**p == ',')
			(*p)++;
		else if (**p == '}')
		{
			(*p)++;
			return;
		}
		else
			report_bad_literal(input->literal, NULL);
	}
}

static int
compare_input_elements(const void *a, const void *b)
{
	int64		x = ((const SparseInputElement *) a)->index;
	int64		y = ((const SparseInputElement *) b)->index;

	return (x > y) - (x < y);
}

/* The elements read, checked against dim, sorted, duplicates refused, zeros dropped. */
static SparseVector *
sparsevec_from_input(SparseInput *input, int dim)
{
	SparseVector *result;
	float	   *values;
	int			nnz = 0;

	for (int i = 0; i < input->count; i++)
		if (input->elements[i].index < 1 || input->elements[i].index > dim)
			report_index_out_of_bounds();
	qsort(input->elements, input->count, sizeof(SparseInputElement), compare_input_elements);
	for (int i = 1; i < input->count; i++)
		if (input->elements[i].index == input->elements[i - 1].index)
			report_duplicate_index();

	result = InitSparseVector(dim, input->nonzero);
	values = SparsevecValues(result);
	for (int i = 0; i < input->count; i++)
		if (input->elements[i].value != 0)
		{
			result->indices[nnz] = (int32) (input->elements[i].index - 1);
			values[nnz++] = input->elements[i].value;
		}
	return result;
}

PG_FUNCTION_INFO_V1(sparsevec_in);
Datum
sparsevec_in(PG_FUNCTION_ARGS)
{
	char	   *literal = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	char	   *p = skip_spaces(literal);
	SparseInput input = {literal, NULL, 0, 16, 0};
	int64		dim;

	if (*p != '{')
		report_bad_literal(literal, "Vector contents must start with \"{\".");
	p++;
	input.elements = palloc(sizeof(SparseInputElement) * input.capacity);
	read_elements(&input, &p);

	p = skip_spaces(p);
	if (*p == '\0')
		report_bad_literal(literal, "Unexpected end of input.");
	if (*p != '/')
		report_bad_literal(literal, NULL);
	p++;
	dim = read_integer(literal, &p);
	p = skip_spaces(p);
	if (*p != '\0')
		report_bad_literal(literal, "Junk after closing.");

	CheckSparsevecDim(dim);
	check_expected_dim(typmod, (int) dim);
	PG_RETURN_SPARSEVEC_P(sparsevec_from_input(&input, (int) dim));
}

PG_FUNCTION_INFO_V1(sparsevec_out);
Datum
sparsevec_out(PG_FUNCTION_ARGS)
{
	SparseVector *vector = PG_GETARG_SPARSEVEC_P(0);
	float	   *values = SparsevecValues(vector);
	StringInfoData buf;
	char		number[FLOAT_SHORTEST_DECIMAL_LEN];

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < vector->nnz; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		float_to_shortest_decimal_buf(values[i], number);
		appendStringInfo(&buf, "%d:%s", vector->indices[i] + 1, number);
	}
	appendStringInfo(&buf, "}/%d", vector->dim);
	PG_FREE_IF_COPY(vector, 0);
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(sparsevec_typmod_in);
Datum
sparsevec_typmod_in(PG_FUNCTION_ARGS)
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
				 errmsg("dimensions for type sparsevec must be at least 1")));
	if (values[0] > SPARSEVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type sparsevec cannot exceed %d", SPARSEVEC_MAX_DIM)));
	PG_RETURN_INT32(values[0]);
}

/* Binary form ----------------------------------------------------------------------------- */

static void
check_received_nnz(int32 nnz, int32 dim)
{
	if (nnz < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("sparsevec cannot have negative number of elements")));
	CheckSparsevecNnz(nnz);
	if (nnz > dim)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more elements than dimensions")));
}

static void
check_received_indices(const SparseVector *v)
{
	for (int i = 0; i < v->nnz; i++)
	{
		if (v->indices[i] < 0 || v->indices[i] >= v->dim)
			report_index_out_of_bounds();
		if (i > 0 && v->indices[i] < v->indices[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("sparsevec indices must be in ascending order")));
		if (i > 0 && v->indices[i] == v->indices[i - 1])
			report_duplicate_index();
	}
}

PG_FUNCTION_INFO_V1(sparsevec_recv);
Datum
sparsevec_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	int32		dim = pq_getmsgint(buf, sizeof(int32));
	int32		nnz = pq_getmsgint(buf, sizeof(int32));
	int32		unused = pq_getmsgint(buf, sizeof(int32));
	SparseVector *result;
	float	   *values;

	CheckSparsevecDim(dim);
	check_received_nnz(nnz, dim);
	check_expected_dim(typmod, dim);
	if (unused != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected unused to be 0, not %d", unused)));

	result = InitSparseVector(dim, nnz);
	for (int i = 0; i < nnz; i++)
		result->indices[i] = pq_getmsgint(buf, sizeof(int32));
	check_received_indices(result);
	values = SparsevecValues(result);
	for (int i = 0; i < nnz; i++)
	{
		values[i] = pq_getmsgfloat4(buf);
		CheckSparsevecElement(values[i]);
		if (values[i] == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("binary representation of sparsevec cannot contain zero values")));
	}
	PG_RETURN_SPARSEVEC_P(result);
}

PG_FUNCTION_INFO_V1(sparsevec_send);
Datum
sparsevec_send(PG_FUNCTION_ARGS)
{
	SparseVector *vector = PG_GETARG_SPARSEVEC_P(0);
	float	   *values = SparsevecValues(vector);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, vector->dim);
	pq_sendint32(&buf, vector->nnz);
	pq_sendint32(&buf, vector->unused);
	for (int i = 0; i < vector->nnz; i++)
		pq_sendint32(&buf, vector->indices[i]);
	for (int i = 0; i < vector->nnz; i++)
		pq_sendfloat4(&buf, values[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Casts ----------------------------------------------------------------------------------- */

/* The cast sparsevec -> sparsevec(n): where PostgreSQL applies a column's typmod. */
PG_FUNCTION_INFO_V1(sparsevec);
Datum
sparsevec(PG_FUNCTION_ARGS)
{
	SparseVector *vector = PG_GETARG_SPARSEVEC_P(0);

	check_expected_dim(PG_GETARG_INT32(1), vector->dim);
	PG_RETURN_SPARSEVEC_P(vector);
}

PG_FUNCTION_INFO_V1(vector_to_sparsevec);
Datum
vector_to_sparsevec(PG_FUNCTION_ARGS)
{
	Vector	   *vector = PG_GETARG_VECTOR_P(0);

	check_expected_dim(PG_GETARG_INT32(1), vector->dim);
	PG_RETURN_SPARSEVEC_P(sparsevec_from_floats(vector->x, vector->dim));
}

PG_FUNCTION_INFO_V1(halfvec_to_sparsevec);
Datum
halfvec_to_sparsevec(PG_FUNCTION_ARGS)
{
	HalfVector *vector = PG_GETARG_HALFVEC_P(0);
	float	   *values = palloc(sizeof(float) * vector->dim);

	check_expected_dim(PG_GETARG_INT32(1), vector->dim);
	for (int i = 0; i < vector->dim; i++)
		values[i] = HalfToFloat4(vector->x[i]);
	PG_RETURN_SPARSEVEC_P(sparsevec_from_floats(values, vector->dim));
}

PG_FUNCTION_INFO_V1(array_to_sparsevec);
Datum
array_to_sparsevec(PG_FUNCTION_ARGS)
{
	int			count;
	float	   *values = ArrayToFloat4s(PG_GETARG_ARRAYTYPE_P(0), &count);

	CheckSparsevecDim(count);
	check_expected_dim(PG_GETARG_INT32(1), count);
	PG_RETURN_SPARSEVEC_P(sparsevec_from_floats(values, count));
}

PG_FUNCTION_INFO_V1(sparsevec_to_vector);
Datum
sparsevec_to_vector(PG_FUNCTION_ARGS)
{
	SparseVector *vector = PG_GETARG_SPARSEVEC_P(0);
	float	   *values = SparsevecValues(vector);
	Vector	   *result;

	CheckVectorDim(vector->dim);
	CheckExpectedDim(PG_GETARG_INT32(1), vector->dim);
	result = InitVector(vector->dim);
	for (int i = 0; i < vector->nnz; i++)
		result->x[vector->indices[i]] = values[i];
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(sparsevec_to_halfvec);
Datum
sparsevec_to_halfvec(PG_FUNCTION_ARGS)
{
	SparseVector *vector = PG_GETARG_SPARSEVEC_P(0);
	float	   *values = SparsevecValues(vector);
	HalfVector *result;

	CheckHalfvecDim(vector->dim);
	check_expected_dim(PG_GETARG_INT32(1), vector->dim);
	result = InitHalfVector(vector->dim);
	for (int i = 0; i < vector->nnz; i++)
		result->x[vector->indices[i]] = Float4ToHalf(values[i]);
	PG_RETURN_HALFVEC_P(result);
}
