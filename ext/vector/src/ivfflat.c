/*
 * ivfflat.c: the ivfflat index access method's handler, its option (lists), its settings
 * (ivfflat.probes, ivfflat.iterative_scan, ivfflat.max_probes), the planner's cost estimate,
 * the build's phase names, and the per-index facts the other files share (IvfGetIndexInfo,
 * cached in the relation's rd_amcache). IvfflatInit runs from the library's _PG_init (hnsw.c).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/amapi.h"
#include "access/reloptions.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/selfuncs.h"

#include "ivfflat.h"

int			ivfflat_probes = IVF_DEFAULT_PROBES;
int			ivfflat_iterative_scan = IVF_ITERATIVE_OFF;
int			ivfflat_max_probes = IVF_MAX_LISTS;

static relopt_kind ivf_relopt_kind;

static const struct config_enum_entry iterative_scan_options[] = {
	{"off", IVF_ITERATIVE_OFF, false},
	{"relaxed_order", IVF_ITERATIVE_RELAXED, false},
	{NULL, 0, false}
};

/* The option and the settings; pgvector's names, ranges and defaults. */
void
IvfflatInit(void)
{
	ivf_relopt_kind = add_reloption_kind();
	add_int_reloption(ivf_relopt_kind, "lists", "Number of inverted lists",
					  IVF_DEFAULT_LISTS, IVF_MIN_LISTS, IVF_MAX_LISTS, AccessExclusiveLock);

	DefineCustomIntVariable("ivfflat.probes", "Sets the number of probes",
							"Valid range is 1..lists.", &ivfflat_probes,
							IVF_DEFAULT_PROBES, IVF_MIN_LISTS, IVF_MAX_LISTS,
							PGC_USERSET, GUC_EXPLAIN, NULL, NULL, NULL);
	DefineCustomEnumVariable("ivfflat.iterative_scan", "Sets the mode for iterative scans",
							 "relaxed_order keeps probing more lists when filters leave too few rows "
							 "(rows may come slightly out of order); off stops after ivfflat.probes lists.",
							 &ivfflat_iterative_scan, IVF_ITERATIVE_OFF, iterative_scan_options,
							 PGC_USERSET, GUC_EXPLAIN, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfflat.max_probes", "Sets the max number of probes for iterative scans",
							"Less than ivfflat.probes means ivfflat.probes.", &ivfflat_max_probes,
							IVF_MAX_LISTS, IVF_MIN_LISTS, IVF_MAX_LISTS,
							PGC_USERSET, GUC_EXPLAIN, NULL, NULL, NULL);
	MarkGUCPrefixReserved("ivfflat");
}

static bytea *
ivfflatoptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt table[] = {
		{"lists", RELOPT_TYPE_INT, offsetof(IvfOptions, lists)},
	};

	return (bytea *) build_reloptions(reloptions, validate, ivf_relopt_kind, sizeof(IvfOptions),
									  table, lengthof(table));
}

static int
lists_option(Relation index)
{
	IvfOptions *opts = (IvfOptions *) index->rd_options;

	return opts ? opts->lists : IVF_DEFAULT_LISTS;
}

IvfIndexInfo *
IvfGetIndexInfo(Relation index)
{
	IvfIndexInfo *info = (IvfIndexInfo *) index->rd_amcache;
	Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(index), 0);
	const IvfType *type;
	char	   *name;
	bool		inner_product = false;

	if (info != NULL)
		return info;
	type = IvfFindType(attr->atttypid);
	info = MemoryContextAllocZero(index->rd_indexcxt, sizeof(IvfIndexInfo));
	info->type = type;
	info->dims = attr->atttypmod;
	info->item_size = info->dims > 0 ? type->item_size(info->dims) : 0;
	info->lists = lists_option(index);
	info->normalize = OidIsValid(index_getprocid(index, 1, IVF_NORM_PROC));
	info->collation = index->rd_indcollation[0];
	name = get_func_name(index_getprocid(index, 1, IVF_DISTANCE_PROC));
	if (name != NULL)
	{
		info->distance = type->kernel(name, &inner_product);
		pfree(name);
	}
	info->spherical = inner_product;
	if (info->distance == NULL)
		info->distance_proc = index_getprocinfo(index, 1, IVF_DISTANCE_PROC);
	index->rd_amcache = info;
	return info;
}

/*
 * The planner's cost: a scan compares the query with every centre, then reads the probed
 * lists' share of the entries (probes / lists of the rows and pages) and computes each
 * one's distance, all before it returns the first row. Costs per vector as hnsw's (one index
 * tuple and a few operators). Without an ORDER BY on the operator the index is useless, so
 * its cost is infinite.
 */
static void
ivfflatcostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
					Cost *startup, Cost *total, Selectivity *selectivity,
					double *correlation, double *pages)
{
	double		tuples = Max(path->indexinfo->tuples, 1);
	double		index_pages = Max(path->indexinfo->pages, 1);
	double		per_vector = cpu_index_tuple_cost + 4 * cpu_operator_cost;
	Relation	index;
	int			lists;
	double		ratio;
	double		entries;

	*selectivity = 1;
	*correlation = 0;
	if (path->indexorderbys == NIL)
	{
		*startup = get_float8_infinity();
		*total = get_float8_infinity();
		*pages = 0;
		return;
	}
	index = index_open(path->indexinfo->indexoid, NoLock);
	lists = lists_option(index);
	index_close(index, NoLock);
	ratio = Min(1.0, (double) ivfflat_probes / lists);
	entries = tuples * ratio;
	*pages = Max(1, index_pages * ratio);
	*startup = lists * per_vector + entries * (per_vector + cpu_operator_cost) + *pages * seq_page_cost;
	*total = *startup;
}

static char *
ivfflatbuildphasename(int64 phase)
{
	switch (phase)
	{
		case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
			return "initializing";
		case IVF_PHASE_KMEANS:
			return "performing k-means";
		case IVF_PHASE_ASSIGN:
			return "assigning tuples";
		case IVF_PHASE_LOAD:
			return "loading tuples";
		default:
			return NULL;
	}
}

static bool
ivfflatvalidate(Oid opclassoid)
{
	return true;
}

PG_FUNCTION_INFO_V1(ivfflathandler);
Datum
ivfflathandler(PG_FUNCTION_ARGS)
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

	am->ambuild = ivfflatbuild;
	am->ambuildempty = ivfflatbuildempty;
	am->aminsert = ivfflatinsert;
	am->ambulkdelete = ivfflatbulkdelete;
	am->amvacuumcleanup = ivfflatvacuumcleanup;
	am->amcanreturn = NULL;
	am->amcostestimate = ivfflatcostestimate;
	am->amoptions = ivfflatoptions;
	am->amproperty = NULL;
	am->ambuildphasename = ivfflatbuildphasename;
	am->amvalidate = ivfflatvalidate;
	am->amadjustmembers = NULL;
	am->ambeginscan = ivfflatbeginscan;
	am->amrescan = ivfflatrescan;
	am->amgettuple = ivfflatgettuple;
	am->amgetbitmap = NULL;
	am->amendscan = ivfflatendscan;
	am->ammarkpos = NULL;
	am->amrestrpos = NULL;
	am->amestimateparallelscan = NULL;
	am->aminitparallelscan = NULL;
	am->amparallelrescan = NULL;

	PG_RETURN_POINTER(am);
}
