/*
 * hnsw.c: the hnsw index access method's handler, its options (m, ef_construction), its
 * settings (hnsw.ef_search, hnsw.iterative_scan, hnsw.max_scan_tuples,
 * hnsw.scan_mem_multiplier), the planner's cost estimate, and the per-index facts the other
 * files share (HnswGetIndexInfo, cached in the relation's rd_amcache).
 *
 * _PG_init also picks the distance kernels (scalar or AVX2/FMA) for the whole library and
 * registers the exact top-N scan (vector_topn.c).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/amapi.h"
#include "access/reloptions.h"
#include "commands/vacuum.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/selfuncs.h"

#include "hnsw.h"
#include "ivfflat.h"
#include "vector_kernels.h"

int			hnsw_ef_search = HNSW_DEFAULT_EF_SEARCH;
int			hnsw_iterative_scan = HNSW_ITERATIVE_STRICT;
int			hnsw_max_scan_tuples = 20000;
int			hnsw_scan_mem_multiplier = 1;

static relopt_kind hnsw_relopt_kind;

static const struct config_enum_entry iterative_scan_options[] = {
	{"off", HNSW_ITERATIVE_OFF, false},
	{"relaxed_order", HNSW_ITERATIVE_RELAXED, false},
	{"strict_order", HNSW_ITERATIVE_STRICT, false},
	{NULL, 0, false}
};

static void
define_settings(void)
{
	DefineCustomIntVariable("hnsw.ef_search", "Sets the size of the dynamic candidate list for search",
							"Larger values find more true neighbours and take longer.",
							&hnsw_ef_search, HNSW_DEFAULT_EF_SEARCH, 1, 1000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("hnsw.iterative_scan", "Sets the mode for iterative scans",
							 "strict_order (the default) keeps scanning when filters leave too few rows and never returns rows out of order; "
							 "relaxed_order may return a few rows slightly out of order; off stops after ef_search candidates.",
							 &hnsw_iterative_scan, HNSW_ITERATIVE_STRICT, iterative_scan_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("hnsw.max_scan_tuples", "Sets the max number of tuples to visit for iterative scans",
							NULL, &hnsw_max_scan_tuples, 20000, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("hnsw.scan_mem_multiplier", "Sets the multiple of work_mem to use for iterative scans",
							NULL, &hnsw_scan_mem_multiplier, 1, 1, 1000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("hnsw");
}

static void
define_options(void)
{
	hnsw_relopt_kind = add_reloption_kind();
	add_int_reloption(hnsw_relopt_kind, "m", "Max number of connections",
					  HNSW_DEFAULT_M, HNSW_MIN_M, HNSW_MAX_M, AccessExclusiveLock);
	add_int_reloption(hnsw_relopt_kind, "ef_construction", "Size of the dynamic candidate list for construction",
					  HNSW_DEFAULT_EF_CONSTRUCTION, HNSW_MIN_EF_CONSTRUCTION, HNSW_MAX_EF_CONSTRUCTION,
					  AccessExclusiveLock);
}

void		_PG_init(void);
void
_PG_init(void)
{
	vk_choose(1);
	define_options();
	define_settings();
	IvfflatInit();
	VectorTopnInit();
}

static bytea *
hnswoptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt table[] = {
		{"m", RELOPT_TYPE_INT, offsetof(HnswOptions, m)},
		{"ef_construction", RELOPT_TYPE_INT, offsetof(HnswOptions, ef_construction)},
	};

	return (bytea *) build_reloptions(reloptions, validate, hnsw_relopt_kind, sizeof(HnswOptions),
									  table, lengthof(table));
}

int
HnswOptionM(Relation index)
{
	HnswOptions *opts = (HnswOptions *) index->rd_options;

	return opts ? opts->m : HNSW_DEFAULT_M;
}

int
HnswOptionEfConstruction(Relation index)
{
	HnswOptions *opts = (HnswOptions *) index->rd_options;

	return opts ? opts->ef_construction : HNSW_DEFAULT_EF_CONSTRUCTION;
}

HnswIndexInfo *
HnswGetIndexInfo(Relation index)
{
	HnswIndexInfo *info = (HnswIndexInfo *) index->rd_amcache;
	Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(index), 0);
	Oid			distance_oid;
	char	   *name;

	if (info != NULL)
		return info;
	info = MemoryContextAllocZero(index->rd_indexcxt, sizeof(HnswIndexInfo));
	info->type = HnswFindElementType(attr->atttypid);
	info->dims = attr->atttypmod;
	info->m = HnswOptionM(index);
	info->ef_construction = HnswOptionEfConstruction(index);
	info->max_level = -1;
	if (info->dims > 0 && info->dims <= info->type->max_dims)
	{
		info->max_value_size = info->type->stored_size(info->dims, NULL);
		HnswSetLevels(info);
	}
	info->normalize = OidIsValid(index_getprocid(index, 1, HNSW_NORM_PROC)) &&
		info->type->normalize != NULL;
	info->collation = index->rd_indcollation[0];
	distance_oid = index_getprocid(index, 1, HNSW_DISTANCE_PROC);
	name = get_func_name(distance_oid);
	if (name != NULL)
	{
		info->distance = info->type->kernel(name, &info->negate);
		pfree(name);
	}
	if (info->distance == NULL)
		info->distance_proc = index_getprocinfo(index, 1, HNSW_DISTANCE_PROC);
	index->rd_amcache = info;
	return info;
}

/*
 * The planner's cost: an ordered scan visits about ef_search * 2m nodes whatever the table's
 * size, on pages that are usually cached. Without an ORDER BY on the operator the index is
 * useless, so its cost is infinite.
 */
static void
hnswcostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
				 Cost *startup, Cost *total, Selectivity *selectivity,
				 double *correlation, double *pages)
{
	double		tuples = Max(path->indexinfo->tuples, 1);
	double		visited;
	double		node_pages;

	*selectivity = 1;
	*correlation = 0;
	if (path->indexorderbys == NIL)
	{
		*startup = get_float8_infinity();
		*total = get_float8_infinity();
		*pages = 0;
		return;
	}
	visited = Min(tuples, (double) hnsw_ef_search * 2 * HNSW_DEFAULT_M * (1 + log(tuples) / log(HNSW_DEFAULT_M)) / 2);
	node_pages = Max(path->indexinfo->pages, 1) * (visited / tuples);
	*startup = visited * (cpu_index_tuple_cost + 4 * cpu_operator_cost) + node_pages * seq_page_cost;
	*total = *startup;
	*pages = node_pages;
}

static bool
hnswvalidate(Oid opclassoid)
{
	return true;
}

PG_FUNCTION_INFO_V1(hnswhandler);
Datum
hnswhandler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *am = makeNode(IndexAmRoutine);

	am->amstrategies = 0;
	am->amsupport = 2;
	am->amoptsprocnum = 0;
	am->amcanorder = false;
	am->amcanorderbyop = true;
	am->amcanbackward = false;
	am->amcanunique = false;
	am->amcanmulticol = false;
	am->amoptionalkey = true;
	am->amsearcharray = false;
	am->amsearchnulls = false;
	am->amstorage = false;
	am->amclusterable = false;
	am->ampredlocks = false;
	am->amcanparallel = false;
	am->amcaninclude = false;
	am->amusemaintenanceworkmem = false;
	am->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
	am->amkeytype = InvalidOid;

	am->ambuild = hnswbuild;
	am->ambuildempty = hnswbuildempty;
	am->aminsert = hnswinsert;
	am->ambulkdelete = hnswbulkdelete;
	am->amvacuumcleanup = hnswvacuumcleanup;
	am->amcanreturn = NULL;
	am->amcostestimate = hnswcostestimate;
	am->amoptions = hnswoptions;
	am->amproperty = NULL;
	am->ambuildphasename = NULL;
	am->amvalidate = hnswvalidate;
	am->amadjustmembers = NULL;
	am->ambeginscan = hnswbeginscan;
	am->amrescan = hnswrescan;
	am->amgettuple = hnswgettuple;
	am->amgetbitmap = NULL;
	am->amendscan = hnswendscan;
	am->ammarkpos = NULL;
	am->amrestrpos = NULL;
	am->amestimateparallelscan = NULL;
	am->aminitparallelscan = NULL;
	am->amparallelrescan = NULL;

	PG_RETURN_POINTER(am);
}
