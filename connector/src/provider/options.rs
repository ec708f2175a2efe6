//! Settings of sfdf scans inside a DataFusion session (`SET sfdf.<name> = ..` in SQL).

use datafusion::common::Result;
use datafusion::common::config::{ConfigExtension, ConfigOptions};
use datafusion::common::tree_node::Transformed;
use datafusion::logical_expr::LogicalPlan;

/// Default of `sfdf.pushdown.join_keys_max`.
pub(crate) const JOIN_KEYS_MAX: usize = 2000;

datafusion::common::extensions_options! {
    /// How scans of Salesforce tables run; registered by
    /// [`ContextBuilder`](super::ContextBuilder), changed in SQL with `SET sfdf.bulk_windows = true`.
    pub struct ScanOptions {
        /// `bulkv2` scans with more than one partition: one Bulk job per `SystemModstamp`
        /// window (one window per partition; the org processes jobs in parallel) instead of
        /// one job whose result pages are spread over the partitions.
        pub bulk_windows: bool, default = false
        /// Fewest rows a `SystemModstamp` window should hold: smaller objects are read
        /// with fewer windows, down to one query (`PlanOptions::window_min_rows`).
        pub window_min_rows: u64, default = 2000
        /// Read through `queryAll` (Bulk: the `queryAll` operation): deleted rows still in
        /// the recycle bin, and archived rows, come too, with `IsDeleted = true`.
        pub include_deleted: bool, default = false
        /// Which query shapes beyond fields, filters and `LIMIT` go into SOQL
        /// (`SET sfdf.pushdown.aggregates = false` turns one off).
        pub pushdown: PushdownOptions, default = PushdownOptions::default()
    }
}

datafusion::common::config_namespace! {
    /// Query shapes pushed into SOQL by the planner rules of [`super::aggregate`],
    /// [`super::topn`] and [`super::join_keys`]; each can be turned off, for comparison or when
    /// an org refuses them.
    pub struct PushdownOptions {
        /// Aggregates over a table whose every filter is exact (`COUNT`, `MIN`, `MAX`,
        /// `SUM`, `AVG`, with or without `GROUP BY`) become one SOQL aggregate query
        /// (REST, or SOAP for `soap` connections), where the org's answer is DataFusion's.
        pub aggregates: bool, default = true
        /// `ORDER BY` on number, date, datetime and checkbox fields followed by `LIMIT`
        /// (and `OFFSET`), over a table whose every filter is exact, becomes
        /// `ORDER BY .. NULLS FIRST|LAST LIMIT n [OFFSET m]` in SOQL.
        pub topn: bool, default = true
        /// The scan on the probe side of a hash join sends `key IN (…)` with the keys of the
        /// join's build side, once that side is read.
        pub join_keys: bool, default = true
        /// More distinct join keys than this: the scan reads the object as without the join.
        /// DataFusion hands over at most `datafusion.optimizer.hash_join_inlist_pushdown_max_distinct_values`
        /// keys per partition ([`ContextBuilder`](super::ContextBuilder) raises it to this default).
        pub join_keys_max: usize, default = JOIN_KEYS_MAX
        /// Keys per query: more keys are sent in several queries (also when one query would
        /// pass SOQL's 100,000 characters), read in parallel over the scan's partitions.
        pub join_keys_per_query: usize, default = 1000
    }
}

impl ConfigExtension for ScanOptions {
    const PREFIX: &'static str = "sfdf";
}

/// One of the query shapes [`PushdownOptions`] turns on and off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushdown {
    /// `sfdf.pushdown.aggregates`.
    Aggregates,
    /// `sfdf.pushdown.topn`.
    TopN,
    /// `sfdf.pushdown.join_keys`.
    JoinKeys,
}

impl Pushdown {
    /// The setting that turns the shape off, as written in `SET`.
    pub(crate) fn setting(self) -> &'static str {
        match self {
            Pushdown::Aggregates => "sfdf.pushdown.aggregates",
            Pushdown::TopN => "sfdf.pushdown.topn",
            Pushdown::JoinKeys => "sfdf.pushdown.join_keys",
        }
    }

    /// Whether `config` pushes the shape: its `sfdf.pushdown.*` setting, or the default when
    /// sfdf's settings are not registered there.
    pub(crate) fn enabled(self, config: &ConfigOptions) -> bool {
        let mut options = config
            .extensions
            .get::<ScanOptions>()
            .map(|o| o.pushdown.clone())
            .unwrap_or_default();
        *self.flag(&mut options)
    }

    /// What the shape's optimizer rule makes of `plan`: `push`'s rewrite when `config`
    /// pushes the shape and `push` finds it, else `plan` as it is.
    pub(crate) fn rewrite(
        self,
        plan: LogicalPlan,
        config: &ConfigOptions,
        push: impl FnOnce(&LogicalPlan) -> Result<Option<LogicalPlan>>,
    ) -> Result<Transformed<LogicalPlan>> {
        if !self.enabled(config) {
            return Ok(Transformed::no(plan));
        }
        Ok(match push(&plan)? {
            Some(rewritten) => Transformed::yes(rewritten),
            None => Transformed::no(plan),
        })
    }

    fn flag(self, options: &mut PushdownOptions) -> &mut bool {
        match self {
            Pushdown::Aggregates => &mut options.aggregates,
            Pushdown::TopN => &mut options.topn,
            Pushdown::JoinKeys => &mut options.join_keys,
        }
    }

    /// Turns the shape off in `config` (when sfdf's settings are registered there).
    pub(crate) fn turn_off(self, config: &mut ConfigOptions) {
        if let Some(options) = config.extensions.get_mut::<ScanOptions>() {
            *self.flag(&mut options.pushdown) = false;
        }
    }
}
