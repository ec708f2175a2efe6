//! What each partition of a plan reads: its share in the plan's one-time work (the Bulk
//! job or the window boundaries), then its pages, cursor or window.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{ExtractPlan, PageSource, PreparedJob, SharedResult, once, read, windows};
use crate::config::ApiType;
use crate::error::{Error, JobState, Result};

/// A partition's share in its plan's one-time work (see [`ExtractPlan::share`]).
#[derive(Debug)]
pub(crate) enum Share {
    Nothing,
    Job(once::Claim<SharedResult<PreparedJob>>),
    Bounds(once::Claim<SharedResult<windows::Span>>),
}

impl ExtractPlan {
    /// Refuses at plan time (so `EXPLAIN` too) a query longer than Salesforce accepts: the
    /// whole query, and with windows the aggregate call and the longest window query (both
    /// bounds, millisecond literals).
    pub(crate) fn check_length(&self) -> Result<()> {
        soql::check_length(&self.inner.soql)?;
        if self.inner.windows > 0 {
            soql::check_length(&windows::span_soql(&self.inner.query)?)?;
            let at = DateTime::<Utc>::from_timestamp_millis(1_700_000_000_123).unwrap_or_default();
            let span = windows::Span {
                bounds: vec![at, at],
                max: Some(at),
            };
            for index in [1, 2] {
                if let Some(w) = windows::window_query(&self.inner.query, &span, index)? {
                    soql::check_length(&w.to_soql()?)?;
                }
            }
        }
        Ok(())
    }

    /// A share in the plan's one-time work (the Bulk job, or the window boundaries), taken
    /// when a partition is opened: the work runs when a partition waits for it, goes on
    /// while any opened partition lives (even if the one that started it was dropped), and
    /// is dropped (a running job aborted) when none does. So a plan creates one job at most.
    pub(crate) fn share(&self) -> Share {
        if self.inner.windows > 0 {
            let client = Arc::clone(&self.inner.client);
            let query = self.inner.query.clone();
            let (api, windows) = (self.inner.api_type, self.inner.windows);
            let min_rows = self.inner.options.window_min_rows;
            let start = move || -> futures::future::BoxFuture<'static, _> {
                Box::pin(async move {
                    windows::fetch_span(&client, &query, api, windows, min_rows)
                        .await
                        .map(Arc::new)
                        .map_err(Arc::new)
                })
            };
            // Asked again only if every partition waiting was dropped: the aggregate call
            // changes nothing at the org.
            Share::Bounds(self.inner.bounds.claim(start, true))
        } else if self.inner.api_type == ApiType::BulkV2 {
            let spec = self.inner.job_spec(self.inner.soql.clone());
            let start = move || -> futures::future::BoxFuture<'static, _> {
                Box::pin(async move { read::run_job(&spec).await.map(Arc::new).map_err(Arc::new) })
            };
            Share::Job(self.inner.job.claim(start, false))
        } else {
            Share::Nothing
        }
    }

    pub(super) async fn job_of(
        &self,
        claim: once::Claim<SharedResult<PreparedJob>>,
    ) -> Result<Arc<PreparedJob>> {
        match self.inner.job.resolve(claim).await {
            Some(Ok(job)) => Ok(job),
            Some(Err(e)) => Err(Error::Shared(e)),
            None => Err(Error::Job {
                job_id: "of this scan".into(),
                object: self.inner.query.object.clone(),
                state: JobState::Aborted,
                message: "every stream of the scan was dropped while the job ran, so it was \
                          aborted; plan the query again to read it"
                    .into(),
            }),
        }
    }

    pub(super) async fn bounds_of(
        &self,
        claim: once::Claim<SharedResult<windows::Span>>,
    ) -> Result<Arc<windows::Span>> {
        match self.inner.bounds.resolve(claim).await {
            Some(Ok(bounds)) => Ok(bounds),
            Some(Err(e)) => Err(Error::Shared(e)),
            None => Err(Error::protocol(
                "SystemModstamp windows",
                "the boundaries were not computed",
            )),
        }
    }

    /// The pages partition `index` reads, once its share of the plan's work is done.
    pub(crate) async fn pages_of(&self, index: usize, share: Share) -> Result<Vec<PageSource>> {
        let share = match share {
            Share::Bounds(claim) => {
                let span = self.bounds_of(claim).await?;
                return self.window_pages(index, &span);
            }
            share => share,
        };
        if self.inner.api_type != ApiType::BulkV2 {
            return Ok(if index == 0 {
                vec![PageSource::Cursor {
                    soql: self.inner.soql.clone(),
                    include_deleted: self.inner.query.include_deleted,
                }]
            } else {
                vec![]
            });
        }
        let job = match share {
            Share::Job(claim) => self.job_of(claim).await?,
            _ => {
                return Err(Error::protocol(
                    "Bulk partition",
                    "opened without the plan's job",
                ));
            }
        };
        let job_id = job.guard.id().to_string();
        Ok(match &job.pages {
            None => {
                if index == 0 {
                    vec![PageSource::BulkAllPages { job_id }]
                } else {
                    vec![]
                }
            }
            Some(pages) => {
                let n = self.inner.partitions.max(1);
                let (start, end) = (index * pages.len() / n, (index + 1) * pages.len() / n);
                pages[start..end]
                    .iter()
                    .map(|url| PageSource::BulkPage {
                        job_id: job_id.clone(),
                        url: url.clone(),
                    })
                    .collect()
            }
        })
    }

    /// Window `index`: a cursor or a Bulk job of its own; nothing past the last window. The
    /// first partition then reads the rows changed since the span was asked: its window is
    /// the oldest, usually the smallest (most rows were changed recently), so the extra
    /// query is off the longest partition's path.
    fn window_pages(&self, index: usize, span: &windows::Span) -> Result<Vec<PageSource>> {
        let query = &self.inner.query;
        let Some(window) = windows::window_query(query, span, index)? else {
            return Ok(vec![]);
        };
        let soql = window.to_soql()?;
        let include_deleted = query.include_deleted;
        let mut pages = vec![match self.inner.api_type {
            ApiType::BulkV2 => PageSource::BulkJob {
                soql,
                include_deleted,
            },
            ApiType::Rest | ApiType::Soap => PageSource::Cursor {
                soql,
                include_deleted,
            },
        }];
        if index == 0
            && let Some(changed) = windows::changed_query(query, span)?
        {
            pages.push(PageSource::Changed {
                soql: changed.to_soql()?,
                include_deleted,
            });
        }
        Ok(pages)
    }
}
