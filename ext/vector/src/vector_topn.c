/*
 * vector_topn.c: the "Vector Exact Top-N" custom scan, an exact nearest-neighbour search for
 *
 *     SELECT ... FROM t [WHERE ...] ORDER BY t.v <op> expr LIMIT n [OFFSET m]
 *
 * where <op> is one of the distance operators (<->, <#>, <=>, <+>) and expr does not read t.
 * Without it PostgreSQL runs a sequential scan that computes the distance into every row and a
 * top-N Sort that copies each row into its heap: most of the time of an exact search goes to
 * that per-row executor work, not to the distances. This scan reads the heap page by page
 * (page-at-a-time visibility like a sequential scan), checks the scan's quals (RLS policies
 * included: they are among the relation's restriction clauses) on each visible row, reads the
 * vector in place, computes the distance with the same kernels the operators use, and keeps
 * the n + m nearest rows in a bounded max-heap; a row is copied only when it enters the heap.
 * It then returns those rows nearest first through the plan's projection, so the Limit above
 * it sees exactly what it would have seen from the Sort: distances in float8 order, NaN after
 * every number, NULL (a NULL vector or a NULL query) last; equal distances in scan order.
 *
 * The planner hook offers the path only for a single heap table with no grouping, DISTINCT,
 * window functions, set-returning functions or row locks, a constant LIMIT (n + m at most
 * TOPN_MAX_ROWS), one ascending NULLS LAST sort key that is such a distance, and no system
 * column read above the scan (the scan slot is a virtual one). The query expression is
 * evaluated once per (re)scan. vector.enable_topn_scan (default on) turns the path off.
 * Not parallel-aware. Memory: the kept rows live in a context of the node, reset on rescan.
 */
#include "postgres.h"

#include <math.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/spccache.h"

#include "recent_buffers.h"
#include "vector.h"

/* the largest LIMIT + OFFSET the scan keeps in memory; above it the Sort is the better tool */
#define TOPN_MAX_ROWS 10000

/* what a distance is, in float8 sort order: numbers, then NaN, then NULL */
#define RANK_NUMBER 0
#define RANK_NAN 1
#define RANK_NULL 2

typedef enum TopnDistance
{
	TOPN_L2,
	TOPN_NEGATIVE_INNER_PRODUCT,
	TOPN_COSINE,
	TOPN_L1
} TopnDistance;

static const char *const distance_names[] = {"<->", "<#>", "<=>", "<+>"};

/* the fmgr entry points of the distance operators (vector_distance.c) */
extern Datum l2_distance(PG_FUNCTION_ARGS);
extern Datum vector_negative_inner_product(PG_FUNCTION_ARGS);
extern Datum cosine_distance(PG_FUNCTION_ARGS);
extern Datum l1_distance(PG_FUNCTION_ARGS);

/* What the planner found in the ORDER BY; packed into custom_private as integers. */
typedef struct TopnOrder
{
	TopnDistance distance;
	AttrNumber	column;			/* the vector column's attribute number */
	bool		column_first;	/* the column is the operator's left argument */
	Expr	   *query;			/* the other argument */
	OpExpr	   *op;
} TopnOrder;

typedef struct TopnEntry
{
	double		distance;
	int			rank;			/* RANK_NUMBER, RANK_NAN or RANK_NULL */
	uint64		seq;			/* position in the scan: ties keep scan order */
	HeapTuple	tuple;
} TopnEntry;

typedef struct TopnScanState
{
	CustomScanState css;
	int			limit;			/* rows to keep: LIMIT + OFFSET */
	TopnDistance distance;
	AttrNumber	column;
	bool		column_first;
	ExprState  *query_state;
	Vector	   *query;			/* NULL when the query expression is NULL */
	TopnEntry  *entries;		/* a max-heap of count entries while scanning, then sorted */
	int			count;
	int			next;			/* the next entry to return */
	bool		collected;
	uint64		seq;
	HeapTupleData current;		/* the heap row being looked at */
	MemoryContext rows_cxt;		/* the query vector and the kept rows */
} TopnScanState;

static bool topn_enabled = true;
static set_rel_pathlist_hook_type prev_set_rel_pathlist_hook = NULL;

static Plan *topn_plan(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path, List *tlist,
					   List *clauses, List *custom_plans);
static Node *topn_create_state(CustomScan *cscan);
static void topn_begin(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *topn_exec(CustomScanState *node);
static void topn_end(CustomScanState *node);
static void topn_rescan(CustomScanState *node);
static void topn_explain(CustomScanState *node, List *ancestors, ExplainState *es);

static const CustomPathMethods topn_path_methods = {
	.CustomName = "Vector Exact Top-N",
	.PlanCustomPath = topn_plan,
};

static const CustomScanMethods topn_scan_methods = {
	.CustomName = "Vector Exact Top-N",
	.CreateCustomScanState = topn_create_state,
};

static const CustomExecMethods topn_exec_methods = {
	.CustomName = "Vector Exact Top-N",
	.BeginCustomScan = topn_begin,
	.ExecCustomScan = topn_exec,
	.EndCustomScan = topn_end,
	.ReScanCustomScan = topn_rescan,
	.ExplainCustomScan = topn_explain,
};

/* ---------------------------------------------------------------------------------------
 * Planning
 * --------------------------------------------------------------------------------------- */

/* Which distance the operator computes, or -1 when it is not one of this extension's. */
static int
distance_of_operator(Oid opno)
{
	RegProcedure fn = get_opcode(opno);
	FmgrInfo	finfo;

	if (!OidIsValid(fn) || get_func_rettype(fn) != FLOAT8OID)
		return -1;
	fmgr_info(fn, &finfo);
	if (finfo.fn_addr == l2_distance)
		return TOPN_L2;
	if (finfo.fn_addr == vector_negative_inner_product)
		return TOPN_NEGATIVE_INNER_PRODUCT;
	if (finfo.fn_addr == cosine_distance)
		return TOPN_COSINE;
	if (finfo.fn_addr == l1_distance)
		return TOPN_L1;
	return -1;
}

static bool
is_column_of(Node *node, RelOptInfo *rel)
{
	Var		   *var = (Var *) node;

	return IsA(node, Var) && var->varno == rel->relid && var->varlevelsup == 0 && var->varattno > 0;
}

/* True when expr is `column <op> query` (or `query <op> column`) with query not reading rel. */
static bool
distance_expression_matches(Expr *expr, RelOptInfo *rel, TopnOrder *order)
{
	OpExpr	   *op = (OpExpr *) expr;
	Node	   *left;
	Node	   *right;
	int			distance;

	if (!IsA(expr, OpExpr) || list_length(op->args) != 2)
		return false;
	left = linitial(op->args);
	right = lsecond(op->args);
	if (is_column_of(left, rel))
		order->column_first = true;
	else if (is_column_of(right, rel))
		order->column_first = false;
	else
		return false;
	order->query = (Expr *) (order->column_first ? right : left);
	order->column = ((Var *) (order->column_first ? left : right))->varattno;
	if (contain_vars_of_level((Node *) order->query, 0) ||
		contain_volatile_functions((Node *) order->query))
		return false;
	distance = distance_of_operator(op->opno);
	if (distance < 0)
		return false;
	order->distance = (TopnDistance) distance;
	order->op = op;
	return true;
}

/* True when the query's only sort key is an ascending, NULLS LAST distance from a column of rel. */
static bool
order_is_distance(PlannerInfo *root, RelOptInfo *rel, TopnOrder *order)
{
	PathKey    *key;
	ListCell   *lc;

	if (list_length(root->query_pathkeys) != 1 || root->query_pathkeys != root->sort_pathkeys)
		return false;
	key = linitial(root->query_pathkeys);
	if (key->pk_strategy != BTLessStrategyNumber || key->pk_nulls_first ||
		key->pk_eclass->ec_has_volatile ||
		get_opfamily_member(key->pk_opfamily, FLOAT8OID, FLOAT8OID,
							BTLessStrategyNumber) != Float8LessOperator)
		return false;
	foreach(lc, key->pk_eclass->ec_members)
	{
		EquivalenceMember *member = lfirst(lc);

		if (distance_expression_matches(member->em_expr, rel, order))
			return true;
	}
	return false;
}

/* LIMIT + OFFSET when both are constants, else -1. */
static int64
constant_limit(Query *parse)
{
	Const	   *count = (Const *) parse->limitCount;
	Const	   *offset = (Const *) parse->limitOffset;
	int64		rows;
	int64		skip = 0;

	if (count == NULL || !IsA(count, Const) || count->constisnull)
		return -1;
	rows = DatumGetInt64(count->constvalue);
	if (offset != NULL)
	{
		if (!IsA(offset, Const))
			return -1;
		if (!offset->constisnull)
			skip = DatumGetInt64(offset->constvalue);
	}
	if (rows < 1 || rows > TOPN_MAX_ROWS || skip < 0 || skip > TOPN_MAX_ROWS)
		return -1;
	return rows + skip;
}

/* True when the query is a plain ordered, limited read of this one relation. */
static bool
query_is_plain_topn(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	Query	   *parse = root->parse;

	return rel->reloptkind == RELOPT_BASEREL && rte->rtekind == RTE_RELATION &&
		rte->relkind == RELKIND_RELATION && !rte->inh && rte->tablesample == NULL &&
		parse->commandType == CMD_SELECT && parse->rowMarks == NIL && !parse->hasTargetSRFs &&
		parse->groupClause == NIL && parse->groupingSets == NIL && parse->distinctClause == NIL &&
		!parse->hasAggs && !parse->hasWindowFuncs && parse->havingQual == NULL &&
		parse->setOperations == NULL && parse->limitOption == LIMIT_OPTION_COUNT &&
		bms_membership(root->all_baserels) == BMS_SINGLETON && bms_is_empty(rel->lateral_relids);
}

/* True when the scan's output or quals read a system column (ctid, xmin, tableoid...). */
static bool
reads_system_columns(RelOptInfo *rel)
{
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	int			i = -1;

	pull_varattnos((Node *) rel->reltarget->exprs, rel->relid, &attrs);
	foreach(lc, rel->baserestrictinfo)
		pull_varattnos((Node *) ((RestrictInfo *) lfirst(lc))->clause, rel->relid, &attrs);
	while ((i = bms_next_member(attrs, i)) >= 0)
		if (i + FirstLowInvalidHeapAttributeNumber < 0)
			return true;
	return false;
}

static bool
is_heap_table(Oid relid)
{
	Relation	rel = table_open(relid, NoLock);
	bool		heap = rel->rd_rel->relam == HEAP_TABLE_AM_OID;

	table_close(rel, NoLock);
	return heap;
}

/*
 * The cost: a sequential scan's (pages, per-row CPU, quals), the distance on every row that
 * passes the quals, one comparison with the heap's worst row each, and a heap insertion for
 * the rows kept. A top-N Sort on top of a sequential scan pays the same scan and distances
 * plus about 2 log2(2n) comparisons per row, so this path is cheaper whenever it applies;
 * an hnsw index scan, which reads a few thousand nodes, stays far cheaper than either.
 */
static void
estimate_cost(PlannerInfo *root, RelOptInfo *rel, TopnOrder *order, int64 limit, Path *path)
{
	QualCost	quals;
	QualCost	distance;
	double		seq_page_cost_here;
	double		kept = Min(rel->rows, (double) limit);
	Cost		cost;

	get_tablespace_page_costs(rel->reltablespace, NULL, &seq_page_cost_here);
	cost_qual_eval(&quals, extract_actual_clauses(rel->baserestrictinfo, false), root);
	cost_qual_eval_node(&distance, (Node *) order->op, root);
	cost = seq_page_cost_here * rel->pages + quals.startup + distance.startup;
	cost += (cpu_tuple_cost + quals.per_tuple) * rel->tuples;
	cost += (distance.per_tuple + cpu_operator_cost) * rel->rows;
	cost += kept * 2 * cpu_operator_cost * log2(Max(kept, 2));
	if (!enable_seqscan)
		cost += disable_cost;
	path->startup_cost = cost;
	path->total_cost = cost + cpu_tuple_cost * kept;
}

static void
offer_topn_path(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	TopnOrder	order;
	int64		limit;
	CustomPath *path;

	if (!query_is_plain_topn(root, rel, rte))
		return;
	limit = constant_limit(root->parse);
	if (limit < 0 || !order_is_distance(root, rel, &order) || reads_system_columns(rel) ||
		!is_heap_table(rte->relid))
		return;

	path = makeNode(CustomPath);
	path->path.pathtype = T_CustomScan;
	path->path.parent = rel;
	path->path.pathtarget = rel->reltarget;
	path->path.param_info = NULL;
	path->path.parallel_aware = false;
	path->path.parallel_safe = false;
	path->path.parallel_workers = 0;
	path->path.rows = rel->rows;
	path->path.pathkeys = root->query_pathkeys;
	path->flags = CUSTOMPATH_SUPPORT_PROJECTION;
	path->custom_private = list_make2(list_make4_int((int) limit, order.distance, order.column,
													 order.column_first),
									  order.query);
	path->methods = &topn_path_methods;
	estimate_cost(root, rel, &order, limit, &path->path);
	add_path(rel, &path->path);
}

static void
topn_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti, RangeTblEntry *rte)
{
	if (prev_set_rel_pathlist_hook)
		prev_set_rel_pathlist_hook(root, rel, rti, rte);
	if (topn_enabled)
		offer_topn_path(root, rel, rte);
}

static Plan *
topn_plan(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path, List *tlist,
		  List *clauses, List *custom_plans)
{
	CustomScan *scan = makeNode(CustomScan);

	scan->scan.plan.targetlist = tlist;
	scan->scan.plan.qual = extract_actual_clauses(clauses, false);
	scan->scan.scanrelid = rel->relid;
	scan->flags = best_path->flags;
	scan->methods = &topn_scan_methods;
	scan->custom_private = linitial(best_path->custom_private);
	scan->custom_exprs = list_make1(copyObject(lsecond(best_path->custom_private)));
	return &scan->scan.plan;
}

/* ---------------------------------------------------------------------------------------
 * Execution
 * --------------------------------------------------------------------------------------- */

static Node *
topn_create_state(CustomScan *cscan)
{
	TopnScanState *state = (TopnScanState *) newNode(sizeof(TopnScanState), T_CustomScanState);

	state->css.methods = &topn_exec_methods;
	return (Node *) state;
}

static void
topn_begin(CustomScanState *node, EState *estate, int eflags)
{
	TopnScanState *state = (TopnScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	Relation	rel = node->ss.ss_currentRelation;

	if (rel->rd_rel->relam != HEAP_TABLE_AM_OID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("vector top-n scan needs a heap table")));
	state->limit = list_nth_int(cscan->custom_private, 0);
	state->distance = (TopnDistance) list_nth_int(cscan->custom_private, 1);
	state->column = (AttrNumber) list_nth_int(cscan->custom_private, 2);
	state->column_first = list_nth_int(cscan->custom_private, 3) != 0;
	state->query_state = ExecInitExpr(linitial(cscan->custom_exprs), &node->ss.ps);
	state->entries = palloc(sizeof(TopnEntry) * state->limit);
	state->rows_cxt = AllocSetContextCreate(estate->es_query_cxt, "vector top-n rows",
											ALLOCSET_DEFAULT_SIZES);
}

/* The distance exactly as the SQL operator computes it, arguments in the query's order. */
static double
distance_between(TopnScanState *state, const Vector *row)
{
	const Vector *a = state->column_first ? row : state->query;
	const Vector *b = state->column_first ? state->query : row;

	switch (state->distance)
	{
		case TOPN_L2:
			return VectorDistanceL2(a, b);
		case TOPN_NEGATIVE_INNER_PRODUCT:
			return VectorDistanceNegativeInnerProduct(a, b);
		case TOPN_COSINE:
			return VectorDistanceCosine(a, b);
		case TOPN_L1:
			return VectorDistanceL1(a, b);
	}
	return 0;
}

/* a sorts before b: float8 order (NaN after numbers, NULL last), then scan order */
static inline bool
sorts_before(const TopnEntry *a, const TopnEntry *b)
{
	if (a->rank != b->rank)
		return a->rank < b->rank;
	if (a->rank == RANK_NUMBER && a->distance != b->distance)
		return a->distance < b->distance;
	return a->seq < b->seq;
}

static int
compare_entries(const void *a, const void *b)
{
	return sorts_before(a, b) ? -1 : (sorts_before(b, a) ? 1 : 0);
}

/* Restores the max-heap property below position i (the worst row at entries[0]). */
static void
sift_down(TopnEntry *heap, int count, int i)
{
	for (;;)
	{
		int			worst = i;
		int			left = 2 * i + 1;
		int			right = left + 1;
		TopnEntry	swap;

		if (left < count && sorts_before(&heap[worst], &heap[left]))
			worst = left;
		if (right < count && sorts_before(&heap[worst], &heap[right]))
			worst = right;
		if (worst == i)
			return;
		swap = heap[i];
		heap[i] = heap[worst];
		heap[worst] = swap;
		i = worst;
	}
}

static void
sift_up(TopnEntry *heap, int i)
{
	while (i > 0)
	{
		int			parent = (i - 1) / 2;
		TopnEntry	swap;

		if (!sorts_before(&heap[parent], &heap[i]))
			return;
		swap = heap[i];
		heap[i] = heap[parent];
		heap[parent] = swap;
		i = parent;
	}
}

/* Keeps the current row if it is among the nearest seen so far (copying it only then). */
static void
keep_if_near(TopnScanState *state, Datum value, bool isnull)
{
	TopnEntry	candidate;
	MemoryContext old;

	candidate.seq = state->seq++;
	candidate.distance = 0;
	candidate.rank = RANK_NULL;
	if (!isnull && state->query != NULL)
	{
		struct varlena *raw = (struct varlena *) DatumGetPointer(value);

		if (VARATT_IS_EXTENDED(raw))
			raw = pg_detoast_datum(raw);	/* per-row memory, reset by the caller */
		candidate.distance = distance_between(state, (const Vector *) raw);
		candidate.rank = isnan(candidate.distance) ? RANK_NAN : RANK_NUMBER;
	}
	if (state->count == state->limit && !sorts_before(&candidate, &state->entries[0]))
		return;

	old = MemoryContextSwitchTo(state->rows_cxt);
	candidate.tuple = heap_copytuple(&state->current);
	MemoryContextSwitchTo(old);
	if (state->count == state->limit)
	{
		heap_freetuple(state->entries[0].tuple);
		state->entries[0] = candidate;
		sift_down(state->entries, state->count, 0);
	}
	else
	{
		state->entries[state->count] = candidate;
		sift_up(state->entries, state->count++);
	}
}

/* where each block of the last table a top-N scan read was found (recent_buffers.h) */
static RecentBuffers table_buffers;

/*
 * Pins block `block` and lists the offsets of its rows the snapshot sees, as a sequential scan
 * in page mode does (heapgetpage): opportunistic pruning, then under a share lock every
 * normal line pointer, all visible on an all-visible page, else each checked, with the
 * serializable conflict check. Returns the buffer pinned, not locked. The pin goes through
 * the recent-buffer hints: a scan repeated over a cached table skips the buffer mapping lookup
 * that was a quarter of its time.
 */
static Buffer
read_visible_rows(HeapScanDesc scan, BlockNumber block, OffsetNumber *visible, int *count)
{
	Relation	rel = scan->rs_base.rs_rd;
	Snapshot	snapshot = scan->rs_base.rs_snapshot;
	Buffer		buf = RecentBuffersPin(&table_buffers, rel, block, scan->rs_strategy);
	Page		page;
	OffsetNumber lines;
	bool		all_visible;

	heap_page_prune_opt(rel, buf);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	TestForOldSnapshot(snapshot, rel, page);
	lines = PageGetMaxOffsetNumber(page);
	all_visible = PageIsAllVisible(page) && !snapshot->takenDuringRecovery;
	*count = 0;
	for (OffsetNumber offset = FirstOffsetNumber; offset <= lines; offset++)
	{
		ItemId		item = PageGetItemId(page, offset);
		HeapTupleData tuple;
		bool		valid;

		if (!ItemIdIsNormal(item))
			continue;
		tuple.t_tableOid = RelationGetRelid(rel);
		tuple.t_data = (HeapTupleHeader) PageGetItem(page, item);
		tuple.t_len = ItemIdGetLength(item);
		ItemPointerSet(&tuple.t_self, block, offset);
		valid = all_visible || HeapTupleSatisfiesVisibility(&tuple, snapshot, buf);
		HeapCheckForSerializableConflictOut(valid, rel, &tuple, buf, snapshot);
		if (valid)
			visible[(*count)++] = offset;
	}
	LockBuffer(buf, BUFFER_LOCK_UNLOCK);
	return buf;
}

/*
 * Looks at the visible rows of one page (pinned). They are taken from the last line pointer
 * to the first: a page fills from its end downwards, so this reads the page's memory in
 * ascending addresses, the order the CPU's prefetcher follows from one page to the next.
 */
static void
scan_page(TopnScanState *state, Page page, BlockNumber block, const OffsetNumber *visible,
		  int count)
{
	Relation	rel = state->css.ss.ss_currentRelation;
	TupleDesc	desc = RelationGetDescr(rel);
	ExprState  *qual = state->css.ss.ps.qual;
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	TupleTableSlot *slot = state->css.ss.ss_ScanTupleSlot;
	HeapTuple	tuple = &state->current;
	MemoryContext old;

	for (int i = count - 1; i >= 0; i--)
	{
		ItemId		item = PageGetItemId(page, visible[i]);
		Datum		value;
		bool		isnull;

		tuple->t_data = (HeapTupleHeader) PageGetItem(page, item);
		tuple->t_len = ItemIdGetLength(item);
		tuple->t_tableOid = RelationGetRelid(rel);
		ItemPointerSet(&tuple->t_self, block, visible[i]);
		ResetExprContext(econtext);
		if (qual != NULL)
		{
			ExecClearTuple(slot);
			heap_deform_tuple(tuple, desc, slot->tts_values, slot->tts_isnull);
			ExecStoreVirtualTuple(slot);
			econtext->ecxt_scantuple = slot;
			if (!ExecQual(qual, econtext))
				continue;
			value = slot->tts_values[state->column - 1];
			isnull = slot->tts_isnull[state->column - 1];
		}
		else
			value = heap_getattr(tuple, state->column, desc, &isnull);
		old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
		keep_if_near(state, value, isnull);
		MemoryContextSwitchTo(old);
	}
	ExecClearTuple(slot);
}

/* Evaluates the query vector for this scan (NULL stays NULL: every distance is NULL). */
static void
evaluate_query(TopnScanState *state)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	Datum		value;
	bool		isnull;

	ResetExprContext(econtext);
	value = ExecEvalExprSwitchContext(state->query_state, econtext, &isnull);
	state->query = NULL;
	if (!isnull)
	{
		MemoryContext old = MemoryContextSwitchTo(state->rows_cxt);

		state->query = (Vector *) PG_DETOAST_DATUM_COPY(value);
		MemoryContextSwitchTo(old);
	}
}

/* One pass over the table, leaving the nearest rows in entries[], nearest first. */
static void
collect_nearest(TopnScanState *state)
{
	EState	   *estate = state->css.ss.ps.state;
	TableScanDesc scan;
	HeapScanDesc heap;

	evaluate_query(state);
	scan = table_beginscan_strat(state->css.ss.ss_currentRelation, estate->es_snapshot, 0, NULL,
								 true, false);
	heap = (HeapScanDesc) scan;
	for (BlockNumber block = 0; block < heap->rs_nblocks; block++)
	{
		OffsetNumber visible[MaxHeapTuplesPerPage];
		int			count;
		Buffer		buf;

		CHECK_FOR_INTERRUPTS();
		buf = read_visible_rows(heap, block, visible, &count);
		scan_page(state, BufferGetPage(buf), block, visible, count);
		ReleaseBuffer(buf);
	}
	table_endscan(scan);
	qsort(state->entries, state->count, sizeof(TopnEntry), compare_entries);
	state->next = 0;
	state->collected = true;
}

static TupleTableSlot *
topn_exec(CustomScanState *node)
{
	TopnScanState *state = (TopnScanState *) node;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	TopnEntry  *entry;

	if (!state->collected)
		collect_nearest(state);
	if (state->next >= state->count)
		return NULL;
	entry = &state->entries[state->next++];
	ExecClearTuple(slot);
	heap_deform_tuple(entry->tuple, RelationGetDescr(node->ss.ss_currentRelation),
					  slot->tts_values, slot->tts_isnull);
	ExecStoreVirtualTuple(slot);
	econtext->ecxt_scantuple = slot;
	if (node->ss.ps.ps_ProjInfo == NULL)
		return slot;
	ResetExprContext(econtext);
	return ExecProject(node->ss.ps.ps_ProjInfo);
}

static void
topn_rescan(CustomScanState *node)
{
	TopnScanState *state = (TopnScanState *) node;

	ExecClearTuple(node->ss.ss_ScanTupleSlot);
	MemoryContextReset(state->rows_cxt);
	state->query = NULL;
	state->count = 0;
	state->next = 0;
	state->seq = 0;
	state->collected = false;
}

static void
topn_end(CustomScanState *node)
{
	ExecClearTuple(node->ss.ss_ScanTupleSlot);
}

static void
topn_explain(CustomScanState *node, List *ancestors, ExplainState *es)
{
	TopnScanState *state = (TopnScanState *) node;

	ExplainPropertyText("Distance", distance_names[state->distance], es);
	ExplainPropertyInteger("Rows Kept", NULL, state->limit, es);
}

/* Registers the scan, its planner hook and vector.enable_topn_scan; called from _PG_init. */
void
VectorTopnInit(void)
{
	DefineCustomBoolVariable("vector.enable_topn_scan",
							 "Lets the planner answer ORDER BY distance LIMIT n with one pass keeping the nearest rows.",
							 "Off gives the sequential scan and top-N sort instead.",
							 &topn_enabled, true, PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("vector");
	RegisterCustomScanMethods(&topn_scan_methods);
	prev_set_rel_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = topn_set_rel_pathlist;
}
