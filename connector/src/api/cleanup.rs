//! Bulk jobs not deleted yet, counted so that a program can wait for their cleanup before
//! it exits.
//!
//! A Bulk job is deleted from `Drop` (a reader that stops early drops its stream), and
//! `Drop` cannot await: the abort and DELETE run on a task of their own. A process that
//! ends right after (an error, `| head`, Ctrl-C) would end that task before the DELETE goes
//! out, and the job would stay at the org for 7 days. So every job is counted from just
//! before its create call until its DELETE has answered (or failed for good), per client
//! and for the whole process; [`wait_for_job_cleanup`] waits until the count is zero.
//!
//! The process-wide count exists because sessions are opened deep inside other work
//! (`CREATE EXTERNAL TABLE`, recipes, sync): the command line cannot hold each one, but it
//! can wait for all of them before it exits.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::watch;

/// A count of Bulk jobs created (or being created) and not deleted yet.
#[derive(Debug)]
pub(crate) struct OpenJobs(watch::Sender<usize>);

impl Default for OpenJobs {
    fn default() -> Self {
        OpenJobs(watch::Sender::new(0))
    }
}

/// Every client's jobs together.
static PROCESS: LazyLock<Arc<OpenJobs>> = LazyLock::new(Arc::default);

impl OpenJobs {
    /// Counts one job until the returned slot is dropped (here and process-wide).
    pub(crate) fn reserve(self: &Arc<Self>) -> JobSlot {
        for count in [self, &*PROCESS] {
            count.0.send_modify(|n| *n += 1);
        }
        JobSlot {
            client: Arc::clone(self),
        }
    }

    /// Jobs not deleted yet.
    pub(crate) fn count(&self) -> usize {
        *self.0.borrow()
    }

    /// Waits until no job is left, or `timeout` passed; returns how many are left.
    pub(crate) async fn settled(&self, timeout: Duration) -> usize {
        let mut count = self.0.subscribe();
        let _ = tokio::time::timeout(timeout, count.wait_for(|n| *n == 0)).await;
        self.count()
    }
}

/// One job's place in the counts; dropped when its DELETE has answered (or when nobody can
/// send it any more: no runtime, or the runtime shut down).
#[derive(Debug)]
pub(crate) struct JobSlot {
    client: Arc<OpenJobs>,
}

impl Drop for JobSlot {
    fn drop(&mut self) {
        for count in [&self.client, &*PROCESS] {
            count.0.send_modify(|n| *n = n.saturating_sub(1));
        }
    }
}

/// Waits until every Bulk job this process created is deleted at the org (aborted first if
/// it was still running), or `timeout` passed; returns how many are left.
///
/// Call it before the process exits, after dropping the streams and plans that read from
/// jobs: the DELETE of a job whose reader was dropped runs on a background task, which
/// ends with the runtime. Jobs still left are deleted by Salesforce after 7 days.
pub async fn wait_for_job_cleanup(timeout: Duration) -> usize {
    PROCESS.settled(timeout).await
}
