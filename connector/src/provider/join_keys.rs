//! Join keys into SOQL: when a hash join's build side is small (a filtered object, a
//! `VALUES` list), the object scan on its probe side sends `key IN (…)` with the build
//! side's keys, instead of reading every row of the object.
//!
//! DataFusion 55 does the collecting: a `HashJoinExec` pushes a *dynamic filter* into its
//! probe side (`enable_join_dynamic_filter_pushdown`) and, once its build side is read,
//! sets it to `key IN (…)` (up to `hash_join_inlist_pushdown_max_distinct_values` keys per
//! partition; beyond, a hash lookup that SOQL cannot say) and min/max bounds. The pieces here:
//! - [`SoqlScanExec`](super::SoqlScanExec) keeps every dynamic filter pushed into it as a
//!   candidate (`handle_child_pushdown_result`, post-optimization phase);
//! - [`JoinKeyPushdown`], a physical optimizer rule that runs after DataFusion's own, keeps
//!   only candidates that a hash join produces ([`SoqlScanExec::with_join_keys`]): a top-N's
//!   or an aggregate's dynamic filter only settles once the scan has been read, so waiting
//!   for one would never end;
//! - when the scan's first partition is polled, [`JoinKeyScan::resolve`] waits until the
//!   join has built its side (the filter is then final), reads the keys, and plans one query
//!   per chunk of keys: the scan's own SOQL with `key IN (chunk)` ANDed on. No query and no
//!   Bulk job is sent before that; the plain scan's plan stays unopened unless it is the
//!   fallback.
//!
//! The pushed condition may keep more rows than the join matches, never fewer (the join
//! compares again): the keys go through the one filter translation
//! ([`super::pushdown::to_soql`]), and only key types whose SOQL equality is DataFusion's are
//! sent: integers, decimals, dates, and record ids (`id`/`reference` fields, which SOQL
//! matches by their 15-character case-sensitive part; other text compares ignoring case and
//! is not sent). Null keys match nothing and are dropped.
//!
//! Falls back to the plain scan when there are more keys than `sfdf.pushdown.join_keys_max`,
//! when DataFusion gave no key list (a large build side), or when the keys cannot be said in
//! SOQL exactly enough; an empty build side reads nothing.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column as LogicalColumn, Result, ScalarValue};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::expr::InList;
use datafusion::logical_expr::{Cast, Expr, Operator};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{
    BinaryExpr, CaseExpr, CastExpr, Column, DynamicFilterPhysicalExpr, InListExpr, Literal,
};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::joins::HashJoinExec;
use futures::StreamExt;

use super::ScanOptions;
use super::pushdown::{FilterFields, to_soql};
use super::scan::SoqlScanExec;
use crate::error::Error;
use crate::extract::{BatchStream, ExtractPlan, PlanOptions, SoqlQuery};
use crate::schema::ObjectSchema;
use crate::session::Session;

/// What a scan needs to plan its join-key queries later: set by
/// [`ObjectTable::scan`](super::ObjectTable) on every scan without a `LIMIT`.
#[derive(Debug)]
pub(crate) struct JoinKeySource {
    pub session: Session,
    pub object: Arc<ObjectSchema>,
    /// The scan's query (columns, pushed filters); each chunk ANDs its keys onto it.
    pub query: SoqlQuery,
    pub options: PlanOptions,
}

/// The dynamic filters pushed into a scan, and (once [`JoinKeyPushdown`] armed it) the hash
/// join's that it reads its keys from when it runs.
#[derive(Debug, Clone)]
pub(crate) struct JoinKeyScan {
    source: Arc<JoinKeySource>,
    /// Dynamic filters DataFusion pushed into the scan (remapped to its columns).
    candidates: Vec<Arc<dyn PhysicalExpr>>,
    /// The hash join's filter the scan waits for, with the limits read at plan time.
    armed: Option<Armed>,
}

#[derive(Debug, Clone)]
struct Armed {
    filter: Arc<DynamicFilterPhysicalExpr>,
    /// The key column, for `EXPLAIN`.
    key: String,
    max_keys: usize,
    keys_per_query: usize,
    /// What the first polled partition decided, shared by all partitions.
    resolved: Arc<tokio::sync::OnceCell<Resolved>>,
}

/// What the scan reads once the join's keys are known.
#[derive(Debug)]
enum Resolved {
    /// The plain scan's plan (too many keys, or keys SOQL cannot say exactly enough).
    Plain,
    /// No key: the join matches nothing, nothing is read.
    Nothing,
    /// One plan per chunk of keys (one partition each, no windows).
    Chunks(Vec<ExtractPlan>),
    /// Planning the chunks failed; every partition reports it.
    Failed(Arc<Error>),
}

impl JoinKeyScan {
    pub(crate) fn new(source: JoinKeySource) -> Self {
        Self {
            source: Arc::new(source),
            candidates: Vec::new(),
            armed: None,
        }
    }

    /// Keeps the dynamic filters among `filters` as candidates.
    pub(crate) fn with_candidates(&self, filters: &[Arc<dyn PhysicalExpr>]) -> Option<Self> {
        let found: Vec<_> = filters
            .iter()
            .filter(|f| f.is::<DynamicFilterPhysicalExpr>())
            .cloned()
            .collect();
        if found.is_empty() {
            return None;
        }
        let mut next = self.clone();
        next.candidates.extend(found);
        Some(next)
    }

    /// The candidates a scan exposes to DataFusion (a hash join only computes its filter when
    /// some node of its probe side holds it).
    pub(crate) fn expressions(&self) -> impl Iterator<Item = &Arc<dyn PhysicalExpr>> {
        self.candidates.iter()
    }

    /// Whether the scan waits for a join's keys when it runs.
    pub(crate) fn is_armed(&self) -> bool {
        self.armed.is_some()
    }

    /// Arms the scan with the first candidate produced by one of `joins` (expression ids of
    /// hash join filters); drops the candidates otherwise.
    fn armed_with(&self, joins: &HashSet<u64>, options: &ScanOptions) -> Self {
        let mut next = self.clone();
        next.armed = None;
        if !options.pushdown.join_keys || self.source.query.limit.is_some() {
            return next;
        }
        let filter = self.candidates.iter().find_map(|candidate| {
            let id = candidate.expression_id()?;
            if !joins.contains(&id) {
                return None;
            }
            let any: Arc<dyn std::any::Any + Send + Sync> = Arc::clone(candidate) as _;
            any.downcast::<DynamicFilterPhysicalExpr>().ok()
        });
        if let Some(filter) = filter {
            let key = filter
                .children()
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            next.armed = Some(Armed {
                filter,
                key,
                max_keys: options.pushdown.join_keys_max,
                keys_per_query: options.pushdown.join_keys_per_query.max(1),
                resolved: Arc::default(),
            });
        }
        next
    }

    /// `EXPLAIN`'s words for an armed scan: the keys cannot be known before the join runs.
    pub(crate) fn describe(&self) -> Option<String> {
        let armed = self.armed.as_ref()?;
        Some(format!(
            "join_keys={} IN (the join's build-side keys, known when it runs; at most {} per \
             query, more queries if needed; over {} keys: the soql as shown)",
            armed.key, armed.keys_per_query, armed.max_keys
        ))
    }

    /// Partition `index` of `partitions`: waits for the keys (the first partition polled
    /// decides for all), then reads its share of the chunks, or the plain plan's partition.
    pub(crate) fn open(&self, plain: &ExtractPlan, index: usize, partitions: usize) -> BatchStream {
        let Some(armed) = self.armed.clone() else {
            return match plain.open(index) {
                Ok(stream) => stream,
                Err(e) => Box::pin(futures::stream::once(async move { Err(e) })),
            };
        };
        let source = Arc::clone(&self.source);
        let plain = plain.clone();
        let schema = plain.schema();
        Box::pin(
            futures::stream::once(async move {
                let resolved = armed
                    .resolved
                    .get_or_init(|| resolve(&armed, &source, &schema))
                    .await;
                let stream: BatchStream = match resolved {
                    Resolved::Plain => match plain.open(index) {
                        Ok(stream) => stream,
                        Err(e) => Box::pin(futures::stream::once(async move { Err(e) })),
                    },
                    Resolved::Nothing => Box::pin(futures::stream::empty()),
                    Resolved::Failed(e) => {
                        let e = Error::Shared(Arc::clone(e));
                        Box::pin(futures::stream::once(async move { Err(e) }))
                    }
                    Resolved::Chunks(plans) => {
                        let mine: Vec<ExtractPlan> = plans
                            .iter()
                            .skip(index)
                            .step_by(partitions.max(1))
                            .cloned()
                            .collect();
                        Box::pin(futures::stream::iter(mine).flat_map(|plan| plan.stream()))
                    }
                };
                stream
            })
            .flatten(),
        )
    }
}

/// Waits for the join's build side, then decides what the scan reads.
async fn resolve(armed: &Armed, source: &JoinKeySource, schema: &SchemaRef) -> Resolved {
    armed.filter.wait_complete().await;
    let object = &source.object.name;
    let expr = match armed.filter.current() {
        Ok(expr) => expr,
        Err(e) => {
            tracing::debug!(%object, error = %e, "join keys unreadable: plain scan");
            return Resolved::Plain;
        }
    };
    let keys = match key_set(&expr) {
        KeySet::All => {
            tracing::info!(%object, "the join gave no key list: plain scan");
            return Resolved::Plain;
        }
        KeySet::Nothing => return Resolved::Nothing,
        KeySet::In { column, values } => (column, values),
    };
    let (column, mut values) = keys;
    values.retain(|v| !v.is_null());
    let mut seen = HashSet::new();
    values.retain(|v| seen.insert(v.clone()));
    if values.len() > armed.max_keys {
        tracing::info!(
            %object,
            keys = values.len(),
            max = armed.max_keys,
            "more join keys than sfdf.pushdown.join_keys_max: plain scan"
        );
        return Resolved::Plain;
    }
    let Some(values) = sendable(&source.object, schema, &column, values) else {
        tracing::info!(%object, key = %column, "join key type not sent to SOQL: plain scan");
        return Resolved::Plain;
    };
    if values.is_empty() {
        return Resolved::Nothing;
    }
    let Some(queries) = chunk_queries(source, schema, &column, &values, armed.keys_per_query)
    else {
        tracing::info!(%object, key = %column, "join keys not translatable: plain scan");
        return Resolved::Plain;
    };
    let options = PlanOptions {
        partitions: 1,
        bulk_windows: false,
        ..source.options.clone()
    };
    let mut plans = Vec::with_capacity(queries.len());
    for query in &queries {
        match source.session.plan_with(query, &options).await {
            Ok(plan) => plans.push(plan),
            Err(e) => return Resolved::Failed(Arc::new(e)),
        }
    }
    tracing::debug!(%object, keys = values.len(), queries = plans.len(), "join keys pushed");
    Resolved::Chunks(plans)
}

/// What a final join filter says about the probe rows that can match.
#[derive(Debug, PartialEq)]
enum KeySet {
    /// No restriction SOQL can say.
    All,
    /// No row matches.
    Nothing,
    /// Only rows whose `column` is one of `values`.
    In {
        column: Expr,
        values: Vec<ScalarValue>,
    },
}

/// Reads the hash join's final filter: `key IN (…)`, possibly ANDed with bounds, or (for a
/// partitioned join) a `CASE` over partitions whose branches are such lists. Anything not
/// understood is [`KeySet::All`]: the plain scan is always correct.
fn key_set(expr: &Arc<dyn PhysicalExpr>) -> KeySet {
    if let Some(literal) = expr.downcast_ref::<Literal>() {
        return match literal.value() {
            ScalarValue::Boolean(Some(false)) => KeySet::Nothing,
            _ => KeySet::All,
        };
    }
    if let Some(in_list) = expr.downcast_ref::<InListExpr>() {
        if in_list.negated() {
            return KeySet::All;
        }
        let Some(column) = key_column(in_list.expr()) else {
            return KeySet::All;
        };
        let values: Option<Vec<ScalarValue>> = in_list
            .list()
            .iter()
            .map(|v| v.downcast_ref::<Literal>().map(|l| l.value().clone()))
            .collect();
        return match values {
            Some(values) => KeySet::In { column, values },
            None => KeySet::All,
        };
    }
    if let Some(binary) = expr.downcast_ref::<BinaryExpr>() {
        let (left, right) = (key_set(binary.left()), key_set(binary.right()));
        return match binary.op() {
            // Either side alone keeps a superset of the rows.
            Operator::And => match (left, right) {
                (KeySet::Nothing, _) | (_, KeySet::Nothing) => KeySet::Nothing,
                (KeySet::All, other) | (other, KeySet::All) => other,
                (list, _) => list,
            },
            Operator::Or => union([left, right]),
            _ => KeySet::All,
        };
    }
    if let Some(case) = expr.downcast_ref::<CaseExpr>() {
        // A row passes the branch of its partition: it passes the union of all branches.
        let mut branches: Vec<KeySet> = case
            .when_then_expr()
            .iter()
            .map(|(_, then)| key_set(then))
            .collect();
        branches.push(case.else_expr().map_or(KeySet::Nothing, key_set));
        return union(branches);
    }
    KeySet::All
}

fn union(sets: impl IntoIterator<Item = KeySet>) -> KeySet {
    let mut out = KeySet::Nothing;
    for set in sets {
        out = match (out, set) {
            (KeySet::All, _) | (_, KeySet::All) => KeySet::All,
            (KeySet::Nothing, other) | (other, KeySet::Nothing) => other,
            (
                KeySet::In { column, mut values },
                KeySet::In {
                    column: other,
                    values: more,
                },
            ) => {
                if column != other {
                    return KeySet::All;
                }
                values.extend(more);
                KeySet::In { column, values }
            }
        };
    }
    out
}

/// The probe key as a logical expression the filter translation understands: a column, or
/// a cast of one.
fn key_column(expr: &Arc<dyn PhysicalExpr>) -> Option<Expr> {
    if let Some(column) = expr.downcast_ref::<Column>() {
        return Some(Expr::Column(LogicalColumn::from_name(column.name())));
    }
    let cast = expr.downcast_ref::<CastExpr>()?;
    let inner = key_column(cast.expr())?;
    Some(Expr::Cast(Cast::new(
        Box::new(inner),
        cast.cast_type().clone(),
    )))
}

/// The keys SOQL's `=` compares as DataFusion does, or `None` when the key's type is not
/// one of those (see the module notes). Record ids that cannot be ids are dropped: the org
/// returns only 18-character ids, which such a key never equals.
fn sendable(
    object: &ObjectSchema,
    schema: &Schema,
    column: &Expr,
    values: Vec<ScalarValue>,
) -> Option<Vec<ScalarValue>> {
    let (name, cast) = match column {
        Expr::Column(c) => (&c.name, None),
        Expr::Cast(cast) => match cast.expr.as_ref() {
            Expr::Column(c) => (&c.name, Some(cast.field.data_type())),
            _ => return None,
        },
        _ => return None,
    };
    let field = object.field(name)?;
    let data_type = schema.field_with_name(name).ok()?.data_type();
    let class = KeyClass::of(data_type, &field.sf_type)?;
    // A cast key (SQL coerced the two sides to one type) is sent only within its class:
    // an integer widened to a wider integer, a decimal to a wider decimal. A cast to
    // floating point (or an integer cast to a decimal) compares other values than SOQL's
    // `=` would, and might keep fewer rows.
    if cast.is_some_and(|to| KeyClass::of(to, &field.sf_type) != Some(class)) {
        return None;
    }
    match class {
        KeyClass::Integer | KeyClass::Decimal | KeyClass::Date => Some(values),
        KeyClass::RecordId => Some(
            values
                .into_iter()
                .filter(|v| {
                    v.try_as_str().flatten().is_some_and(|s| {
                        matches!(s.len(), 15 | 18) && s.bytes().all(|b| b.is_ascii_alphanumeric())
                    })
                })
                .collect(),
        ),
    }
}

/// Key types whose SOQL `=` is DataFusion's `=` (see the module notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    Integer,
    Decimal,
    Date,
    /// Text of an `id` or `reference` field.
    RecordId,
}

impl KeyClass {
    fn of(data_type: &DataType, sf_type: &str) -> Option<Self> {
        use DataType::*;
        match data_type {
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => Some(Self::Integer),
            Decimal128(..) => Some(Self::Decimal),
            Date32 => Some(Self::Date),
            Utf8 | LargeUtf8 | Utf8View if matches!(sf_type, "id" | "reference") => {
                Some(Self::RecordId)
            }
            _ => None,
        }
    }
}

/// The scan's query with `column IN (chunk)` ANDed on, one per chunk of at most
/// `per_query` keys whose SOQL fits Salesforce's statement length (a chunk too long is
/// halved). `None` when the translation refuses the keys.
fn chunk_queries(
    source: &JoinKeySource,
    schema: &Schema,
    column: &Expr,
    values: &[ScalarValue],
    per_query: usize,
) -> Option<Vec<SoqlQuery>> {
    let object = &source.object;
    let filterable = |name: &str| object.field(name).is_some_and(|f| f.filterable);
    let fields = FilterFields::new(schema, &filterable);
    let mut queries = Vec::new();
    let mut pending: Vec<&[ScalarValue]> = values.chunks(per_query).rev().collect();
    while let Some(chunk) = pending.pop() {
        let list = Expr::InList(InList::new(
            Box::new(column.clone()),
            chunk
                .iter()
                .map(|v| Expr::Literal(v.clone(), None))
                .collect(),
            false,
        ));
        let condition = to_soql(&list, &fields)?.condition;
        let query = source.query.clone().and_filter(condition);
        let fits = query
            .to_soql()
            .is_ok_and(|text| soql::check_length(&text).is_ok());
        if fits {
            queries.push(query);
        } else if chunk.len() > 1 {
            let (first, second) = chunk.split_at(chunk.len() / 2);
            pending.push(second);
            pending.push(first);
        } else {
            return None;
        }
    }
    Some(queries)
}

/// Arms scans with the filters of hash joins above them (see the module notes). Runs after
/// DataFusion's own physical optimizer rules; registered by
/// [`ContextBuilder`](super::ContextBuilder) and [`register_connection`](super::register_connection).
#[derive(Debug, Default)]
pub(crate) struct JoinKeyPushdown;

impl JoinKeyPushdown {
    pub(crate) const NAME: &'static str = "sfdf_join_key_pushdown";
}

impl PhysicalOptimizerRule for JoinKeyPushdown {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let options = config
            .extensions
            .get::<ScanOptions>()
            .cloned()
            .unwrap_or_default();
        let mut joins = HashSet::new();
        plan.apply(|node| {
            if node.is::<HashJoinExec>() {
                let produced = node.dynamic_expressions_produced();
                joins.extend(produced.iter().filter_map(|f| f.expression_id()));
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        plan.transform_up(|node| {
            let Some(scan) = node.downcast_ref::<SoqlScanExec>() else {
                return Ok(Transformed::no(node));
            };
            match scan.join_keys() {
                Some(keys) if !keys.candidates.is_empty() => {
                    let armed = keys.armed_with(&joins, &options);
                    Ok(Transformed::yes(Arc::new(scan.with_join_keys(armed))))
                }
                _ => Ok(Transformed::no(node)),
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        Self::NAME
    }

    fn schema_check(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::physical_expr::expressions::lit;

    fn col(name: &str) -> Arc<dyn PhysicalExpr> {
        Arc::new(Column::new(name, 0))
    }

    fn in_list(values: &[i64]) -> Arc<dyn PhysicalExpr> {
        let schema = Schema::new(vec![datafusion::arrow::datatypes::Field::new(
            "k",
            DataType::Int64,
            true,
        )]);
        let list = values.iter().map(|v| lit(*v)).collect();
        datafusion::physical_expr::expressions::in_list(col("k"), list, &false, &schema).unwrap()
    }

    fn keys(values: &[i64]) -> KeySet {
        KeySet::In {
            column: Expr::Column(LogicalColumn::from_name("k")),
            values: values
                .iter()
                .map(|v| ScalarValue::Int64(Some(*v)))
                .collect(),
        }
    }

    #[test]
    fn a_partitioned_join_filter_is_the_union_of_its_branches() {
        let bounds = Arc::new(BinaryExpr::new(
            Arc::new(BinaryExpr::new(col("k"), Operator::GtEq, lit(1i64))),
            Operator::And,
            Arc::new(BinaryExpr::new(col("k"), Operator::LtEq, lit(3i64))),
        ));
        let branch = Arc::new(BinaryExpr::new(bounds, Operator::And, in_list(&[1, 3])));
        let case = Arc::new(
            CaseExpr::try_new(
                Some(lit(0u64)),
                vec![(lit(0u64), branch as _), (lit(1u64), in_list(&[2]))],
                Some(lit(false)),
            )
            .unwrap(),
        ) as Arc<dyn PhysicalExpr>;
        assert_eq!(key_set(&case), keys(&[1, 3, 2]));
    }

    #[test]
    fn a_hash_lookup_or_an_open_else_branch_reads_everything() {
        let case = Arc::new(
            CaseExpr::try_new(
                Some(lit(0u64)),
                vec![(lit(0u64), in_list(&[1]))],
                Some(lit(true)),
            )
            .unwrap(),
        ) as Arc<dyn PhysicalExpr>;
        assert_eq!(key_set(&case), KeySet::All);
        assert_eq!(key_set(&lit(true)), KeySet::All);
        assert_eq!(key_set(&lit(false)), KeySet::Nothing);
        let null_or = Arc::new(BinaryExpr::new(
            Arc::new(datafusion::physical_expr::expressions::IsNullExpr::new(
                col("k"),
            )),
            Operator::Or,
            in_list(&[1]),
        )) as Arc<dyn PhysicalExpr>;
        assert_eq!(key_set(&null_or), KeySet::All);
    }
}
