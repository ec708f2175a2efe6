//! Top-N answered by the org: `ORDER BY .. LIMIT n [OFFSET m]` over a table becomes
//! `ORDER BY .. NULLS FIRST|LAST LIMIT n [OFFSET m]` in its SOQL, so the org sends n rows
//! instead of every row.
//!
//! # Why a logical optimizer rule
//!
//! DataFusion 55 passes no sort to `TableProvider::scan`. Its physical hook,
//! `ExecutionPlan::try_pushdown_sort` driven by the `PushdownSort` rule, does not fit:
//! - it asks the scan to take the sort *before* it says whether a `LIMIT` follows (the limit
//!   comes afterwards through `with_fetch`, and only if the scan answered `Exact`). A scan
//!   answering `Exact` would sort every `ORDER BY` in SOQL, a full sort of a 100M-row object
//!   included (one ordered Bulk job, no PK chunking, no parallel partitions);
//! - `OFFSET` never reaches the scan: it gets `skip + fetch` rows and DataFusion skips;
//! - the scan's SOQL, API and partition count would change after the physical plan was
//!   built, and re-planning a scan is async (describe) while the hook is not.
//!
//! [`TopNPushdown`] is a logical `OptimizerRule`, like [`super::aggregate`]: it sees
//! `Limit(skip, fetch)` over `Sort(keys, fetch)` over the `TableScan` of an [`ObjectTable`]
//! (with at most a projection of plain columns between) and swaps the scan's source for a [`SortedTable`], whose scan sends the
//! sort, limit and offset. The `Sort` stays: DataFusion re-sorts the n rows it gets back,
//! which costs nothing and keeps the order whatever the org does with ties.
//!
//! # When it applies
//!
//! - every filter on the scan is *exact* ([`super::pushdown`]): an inexact or untranslated
//!   one leaves a `Filter` between sort and scan, so the shape does not match; SOQL would
//!   take its top n from other rows than SQL;
//! - the scan has no `LIMIT` of its own (a sort over an arbitrary n rows stays in DataFusion);
//! - every key is a column whose values SOQL orders as DataFusion does, and describe says it
//!   is `sortable`: numbers (`int`, `long`, `double`, `percent`; `currency` only in a
//!   single-currency org, as multi-currency orgs sort by the amount converted to the
//!   corporate currency), `date`, `datetime` and checkboxes (false before true);
//! - `sfdf.pushdown.topn` is on (the default).
//!
//! Text keys are never pushed. SOQL sorts text by the user's locale (ignoring case in
//! English, linguistically in others) and picklists in the order their values were set up,
//! so its top n can be another *set* of rows than DataFusion's byte order gives: re-sorting
//! the n rows would not repair that. Nothing in describe promises values whose order cannot
//! differ, so such a query is sorted in DataFusion over the rows its filters keep.
//!
//! Every key is written with its null order (`NULLS FIRST|LAST`): SOQL's default (first
//! ascending, last descending) is the opposite of DataFusion's.
//!
//! # Which API
//!
//! - A sorted query is one ordered partition: no `SystemModstamp` windows, Bulk pages not
//!   spread (each would sort its own rows).
//! - A `bulkv2` connection reads a top-N of at most [`REST_TOP_N_ROWS`] rows through REST:
//!   a Bulk job costs at least five calls (create, poll, results, delete...) and seconds of
//!   queueing, while REST sends 2,000 rows a call. Larger ones stay on Bulk.
//! - `OFFSET m` goes into SOQL only through REST or SOAP (Bulk API 2.0 refuses it), when
//!   `m` is at most [`MAX_OFFSET`] (the org refuses more) and the `n` rows fit in one page
//!   (with `OFFSET` the org answers only the first page). Otherwise SOQL gets
//!   `LIMIT m + n` and DataFusion skips the first `m` rows.
//!
//! # When the org refuses
//!
//! If the org refuses the sorted query or times out (`QUERY_TIMEOUT`) before sending a row,
//! the scan warns and reads the rows as it would without this rule (no `ORDER BY`, no
//! `LIMIT`), and DataFusion sorts and cuts them: the same [`Fallback`] the aggregates use.
//!
//! `EXPLAIN` shows the scan's SOQL with its `ORDER BY`, the API (`api=rest` for a small
//! top-N of a `bulkv2` connection) and the calls; nothing is sent before the plan runs.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::{Session as DfSession, TableProvider};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, DataFusionError, Result, TableReference};
use datafusion::datasource::{TableType, provider_as_source, source_as_provider};
use datafusion::logical_expr::{
    Expr, FetchType, Limit, LogicalPlan, LogicalPlanBuilder, Projection, SkipType, Sort, SortExpr,
    TableProviderFilterPushDown, TableScanBuilder,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};
use datafusion::physical_plan::ExecutionPlan;

use super::fallback::Fallback;
use super::options::Pushdown;
use super::table::ObjectTable;
use crate::config::ApiType;
use crate::extract::SortKey;
use crate::schema::{FieldInfo, ObjectSchema};

/// Largest top-N (rows from the first, skipped ones included) a `bulkv2` connection reads
/// through REST: five REST pages of 2,000 rows, as many calls as the smallest Bulk job.
pub const REST_TOP_N_ROWS: u64 = 10_000;

/// Largest `OFFSET` the org accepts (`NUMBER_OUTSIDE_VALID_RANGE` above).
pub const MAX_OFFSET: u64 = 2_000;

/// Rows of one REST or SOAP page (the connector asks SOAP for 2,000 too). With `OFFSET`
/// the org answers the first page only, so the limit must fit in it.
const PAGE_ROWS: u64 = 2_000;

/// Most `ORDER BY` keys SOQL takes.
const MAX_KEYS: usize = 32;

/// The optimizer rule; registered by [`register_connection`](super::register_connection).
#[derive(Debug, Default)]
pub(crate) struct TopNPushdown;

impl TopNPushdown {
    pub(crate) const NAME: &'static str = "sfdf_topn_pushdown";
}

impl OptimizerRule for TopNPushdown {
    fn name(&self) -> &str {
        Self::NAME
    }

    /// Top-down, so a `Limit` (whose `OFFSET` may go into SOQL) is seen before its `Sort`.
    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        Pushdown::TopN.rewrite(plan, &config.options(), pushed_top_n)
    }
}

/// `plan` with its top-N sent to the org, when the org can answer it exactly.
fn pushed_top_n(plan: &LogicalPlan) -> Result<Option<LogicalPlan>> {
    let (limit, sort) = match plan {
        LogicalPlan::Limit(limit) => match limit.input.as_ref() {
            LogicalPlan::Sort(sort) => (Some(limit), sort),
            _ => return Ok(None),
        },
        LogicalPlan::Sort(sort) => (None, sort),
        _ => return Ok(None),
    };
    // The query reads rows [skip, top) of the sorted input.
    let (skip, fetch) = match limit {
        Some(limit) => match (limit.get_skip_type()?, limit.get_fetch_type()?) {
            (SkipType::Literal(skip), FetchType::Literal(fetch)) => (skip, fetch),
            _ => return Ok(None),
        },
        None => (0, None),
    };
    let top = [sort.fetch, fetch.and_then(|n| n.checked_add(skip))]
        .into_iter()
        .flatten()
        .min();
    let Some(top) = top.filter(|&top| top > skip) else {
        return Ok(None);
    };
    // A projection of plain columns (reordering or renaming them) may sit between.
    let (projection, below) = match sort.input.as_ref() {
        LogicalPlan::Projection(projection) => (Some(projection), projection.input.as_ref()),
        other => (None, other),
    };
    let LogicalPlan::TableScan(scan) = below else {
        return Ok(None);
    };
    if scan.fetch.is_some() || sort.expr.len() > MAX_KEYS {
        return Ok(None);
    }
    let Ok(provider) = source_as_provider(&scan.source) else {
        return Ok(None);
    };
    let Some(table) = provider.downcast_ref::<ObjectTable>() else {
        return Ok(None);
    };
    if table.exact_query(&scan.filters).is_none() {
        return Ok(None);
    }
    let Some(keys) = sort
        .expr
        .iter()
        .map(|key| sort_key(key, projection, table.object()))
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(None);
    };
    let read = ReadPlan::new(table.session().api_type(), skip as u64, top as u64);
    let sorted = SortedTable {
        table: Arc::clone(&provider),
        table_name: scan.table_name.clone(),
        keys,
        offset: read.offset,
        api: read.api,
    };
    let rows = if read.offset.is_some() {
        top - skip
    } else {
        top
    };
    let new_scan = LogicalPlan::TableScan(
        TableScanBuilder::new(
            scan.table_name.clone(),
            provider_as_source(Arc::new(sorted)),
        )
        .with_projection(scan.projection.clone())
        .with_filters(scan.filters.clone())
        .with_fetch(Some(rows))
        .build()?,
    );
    let new_input = match projection {
        Some(projection) => LogicalPlan::Projection(Projection::try_new_with_schema(
            projection.expr.clone(),
            Arc::new(new_scan),
            Arc::clone(&projection.schema),
        )?),
        None => new_scan,
    };
    let new_sort = LogicalPlan::Sort(Sort {
        expr: sort.expr.clone(),
        input: Arc::new(new_input),
        fetch: Some(rows),
    });
    // With the offset in SOQL the sort's rows are the answer; else DataFusion skips.
    Ok(Some(match (limit, read.offset) {
        (Some(limit), None) => LogicalPlan::Limit(Limit {
            skip: limit.skip.clone(),
            fetch: limit.fetch.clone(),
            input: Arc::new(new_sort),
        }),
        _ => new_sort,
    }))
}

/// The SOQL key for a DataFusion sort key, when SOQL orders that column as DataFusion does.
fn sort_key(
    key: &SortExpr,
    projection: Option<&Projection>,
    object: &ObjectSchema,
) -> Option<SortKey> {
    let column = scan_column(&key.expr, projection)?;
    let field = object.field(&column.name)?;
    if !field.sortable || !same_order(field, object) {
        return None;
    }
    Some(SortKey {
        field: field.name.clone(),
        direction: if key.asc {
            soql::Direction::Asc
        } else {
            soql::Direction::Desc
        },
        nulls: if key.nulls_first {
            soql::NullsOrder::First
        } else {
            soql::NullsOrder::Last
        },
    })
}

/// The scan column a sort key names, through the projection between them (if any): only
/// a plain column, possibly renamed.
fn scan_column<'a>(expr: &'a Expr, projection: Option<&'a Projection>) -> Option<&'a Column> {
    let Expr::Column(column) = expr else {
        return None;
    };
    let Some(projection) = projection else {
        return Some(column);
    };
    let index = projection.schema.index_of_column(column).ok()?;
    match projection.expr.get(index)? {
        Expr::Column(inner) => Some(inner),
        Expr::Alias(alias) => match alias.expr.as_ref() {
            Expr::Column(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

/// Whether SOQL orders the field's values as DataFusion orders its column (see the module
/// documentation): numbers, dates, datetimes and checkboxes; never text.
fn same_order(field: &FieldInfo, object: &ObjectSchema) -> bool {
    let ordered = match field.sf_type.as_str() {
        "boolean" | "int" | "long" | "double" | "percent" | "date" | "datetime" => true,
        "currency" => !object.has_currency_code(),
        _ => false,
    };
    let text = matches!(
        field.data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    );
    ordered && !text
}

/// How a top-N is read: the API, and whether `OFFSET` goes into SOQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ReadPlan {
    api: ApiType,
    offset: Option<u64>,
}

impl ReadPlan {
    /// For rows `[skip, top)` of the sorted query over a `connection` API connection.
    fn new(connection: ApiType, skip: u64, top: u64) -> Self {
        let api = match connection {
            ApiType::BulkV2 if top <= REST_TOP_N_ROWS => ApiType::Rest,
            other => other,
        };
        let offset_fits = skip > 0 && skip <= MAX_OFFSET && top - skip <= PAGE_ROWS;
        let offset = (api != ApiType::BulkV2 && offset_fits).then_some(skip);
        ReadPlan { api, offset }
    }
}

/// An [`ObjectTable`] read sorted: its scans send `ORDER BY` (and `OFFSET`) with the limit.
#[derive(Debug)]
pub(crate) struct SortedTable {
    /// The [`ObjectTable`].
    table: Arc<dyn TableProvider>,
    /// The table's name in the query, for the fallback's plan.
    table_name: TableReference,
    keys: Vec<SortKey>,
    offset: Option<u64>,
    api: ApiType,
}

impl SortedTable {
    fn object_table(&self) -> Result<&ObjectTable> {
        self.table.downcast_ref::<ObjectTable>().ok_or_else(|| {
            DataFusionError::Internal("a sorted Salesforce scan lost its table".into())
        })
    }
}

#[async_trait]
impl TableProvider for SortedTable {
    fn schema(&self) -> SchemaRef {
        self.table.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.table.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn DfSession,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let table = self.object_table()?;
        let query = table.scan_query(projection, filters, limit);
        // The rule checked that every filter is exact, so the limit is in the query; without
        // it, an `OFFSET` the plan no longer applies would be lost: refuse, never answer wrong.
        if query.limit.is_none() {
            return Err(DataFusionError::Internal(format!(
                "the sorted scan of {} lost its LIMIT (a filter is not exact)",
                table.object().name
            )));
        }
        let query = query.order_by(self.keys.clone()).offset(self.offset);
        let scan = table.plan_scan(state, query, Some(self.api)).await?;
        let fallback = Fallback::new(
            state,
            Pushdown::TopN,
            self.unsorted(projection, filters, limit)?,
        );
        Ok(Arc::new(scan.with_fallback(fallback)))
    }
}

impl SortedTable {
    /// The rows a scan sends, sorted and cut by DataFusion over the unsorted scan: what
    /// runs if the org refuses or times out the sorted query (see [`Fallback`]).
    fn unsorted(
        &self,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<LogicalPlan> {
        let keys = self
            .keys
            .iter()
            .map(|key| {
                Expr::Column(Column::new_unqualified(&key.field)).sort(
                    key.direction == soql::Direction::Asc,
                    key.nulls == soql::NullsOrder::First,
                )
            })
            .collect::<Vec<_>>();
        let skip = self.offset.map_or(0, |m| m as usize);
        LogicalPlanBuilder::scan_with_filters(
            self.table_name.clone(),
            provider_as_source(Arc::clone(&self.table)),
            projection.cloned(),
            filters.to_vec(),
        )?
        .sort(keys)?
        .limit(skip, limit)?
        .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_top_n_of_bulk_connections_read_through_rest_with_offset_in_soql() {
        let plan = ReadPlan::new(ApiType::BulkV2, 5, 15);
        assert_eq!(
            plan,
            ReadPlan {
                api: ApiType::Rest,
                offset: Some(5)
            }
        );
        // Too many rows for REST: a Bulk job, which refuses OFFSET.
        let plan = ReadPlan::new(ApiType::BulkV2, 5, REST_TOP_N_ROWS + 1);
        assert_eq!(
            plan,
            ReadPlan {
                api: ApiType::BulkV2,
                offset: None
            }
        );
    }

    #[test]
    fn offset_goes_into_soql_only_within_the_orgs_limits() {
        assert_eq!(ReadPlan::new(ApiType::Soap, 0, 10).offset, None);
        assert_eq!(
            ReadPlan::new(ApiType::Soap, MAX_OFFSET, MAX_OFFSET + 10).offset,
            Some(MAX_OFFSET)
        );
        assert_eq!(
            ReadPlan::new(ApiType::Rest, MAX_OFFSET + 1, MAX_OFFSET + 10).offset,
            None
        );
        // The rows after the offset must fit one page.
        assert_eq!(
            ReadPlan::new(ApiType::Rest, 10, 10 + PAGE_ROWS + 1).offset,
            None
        );
    }
}
