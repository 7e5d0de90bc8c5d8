/*
 * bitvec.h: PostgreSQL's `bit` type as the extension builds it (bitvec.c), for the index code
 * that turns stored bits back into a value.
 */
#ifndef STUDYBASE_BITVEC_H
#define STUDYBASE_BITVEC_H

#include "postgres.h"

#include "utils/varbit.h"

/* A zeroed bit string of `length` bits, palloc'd. */
extern VarBit *InitBitString(int length);

#endif
