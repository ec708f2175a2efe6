//! Work a plan does once for all its partitions (the Bulk job, the window boundaries), run
//! by the partitions that need it and dropped when none of them is left.
//!
//! `tokio::sync::OnceCell::get_or_init` re-runs the initializer when the caller running it
//! is dropped: a partition stream dropped mid-job let the next partition create a second
//! Bulk job. Here the work is one [`Shared`] future that every waiting partition polls, so
//! it survives the partition that started it; the plan keeps only a weak handle (no `Arc`
//! cycle, and dropping every stream still drops the work, which aborts a running job).

use std::sync::{Mutex, OnceLock, PoisonError};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared, WeakShared};

/// A value computed at most once (or again after every waiter gave up, when allowed).
pub(crate) struct SharedOnce<T: Clone> {
    done: OnceLock<T>,
    running: Mutex<Running<T>>,
}

enum Running<T: Clone> {
    Idle,
    Started(WeakShared<BoxFuture<'static, T>>),
}

impl<T: Clone> std::fmt::Debug for SharedOnce<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let state = match (self.done.get(), &*running) {
            (Some(_), _) => "done",
            (None, Running::Idle) => "idle",
            (None, Running::Started(_)) => "started",
        };
        f.debug_struct("SharedOnce").field("state", &state).finish()
    }
}

impl<T: Clone> Default for SharedOnce<T> {
    fn default() -> Self {
        SharedOnce {
            done: OnceLock::new(),
            running: Mutex::new(Running::Idle),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> SharedOnce<T> {
    /// The value, once some caller finished computing it.
    pub fn get(&self) -> Option<&T> {
        self.done.get()
    }

    /// The value; the first caller starts `start()`, later ones wait on the same work even
    /// if the first is dropped. `None` when the work was started before and every waiter
    /// dropped it unfinished, unless `restart` allows starting it again.
    pub async fn get_or_start(
        &self,
        start: impl FnOnce() -> BoxFuture<'static, T>,
        restart: bool,
    ) -> Option<T> {
        if let Some(v) = self.done.get() {
            return Some(v.clone());
        }
        let shared: Shared<BoxFuture<'static, T>> = {
            let mut running = self.lock();
            if let Some(v) = self.done.get() {
                return Some(v.clone());
            }
            let alive = match &*running {
                Running::Started(weak) => weak.upgrade(),
                Running::Idle => None,
            };
            match alive {
                Some(shared) => shared,
                None if matches!(*running, Running::Started(_)) && !restart => return None,
                None => {
                    let shared = start().shared();
                    *running = match shared.downgrade() {
                        Some(weak) => Running::Started(weak),
                        None => Running::Idle,
                    };
                    shared
                }
            }
        };
        // Awaiting a clone keeps the work alive until the value is stored: a caller that
        // comes in between finds it finished, not abandoned.
        let value = shared.clone().await;
        let _ = self.done.set(value.clone());
        drop(shared);
        Some(value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Running<T>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_dropped_first_caller_does_not_start_the_work_again() {
        let once = Arc::new(SharedOnce::<u32>::default());
        let starts = Arc::new(AtomicUsize::new(0));
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let wait = wait.shared();
        let start = {
            let starts = Arc::clone(&starts);
            let wait = wait.clone();
            move || -> BoxFuture<'static, u32> {
                starts.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move {
                    let _ = wait.await;
                    7
                })
            }
        };
        let first = {
            let once = Arc::clone(&once);
            let start = start.clone();
            tokio::spawn(async move { once.get_or_start(start, false).await })
        };
        tokio::task::yield_now().await;
        let second = {
            let once = Arc::clone(&once);
            let start = start.clone();
            tokio::spawn(async move { once.get_or_start(start, false).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        first.abort();
        let _ = first.await;
        let _ = release.send(());
        assert_eq!(second.await.unwrap(), Some(7));
        assert_eq!(starts.load(Ordering::SeqCst), 1);
        assert_eq!(once.get(), Some(&7));
    }

    #[tokio::test]
    async fn work_every_caller_dropped_is_abandoned_unless_restart_is_allowed() {
        let once = Arc::new(SharedOnce::<u32>::default());
        let pending = || -> BoxFuture<'static, u32> { Box::pin(futures::future::pending()) };
        let caller = {
            let once = Arc::clone(&once);
            tokio::spawn(async move { once.get_or_start(pending, false).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        caller.abort();
        let _ = caller.await;
        let ready = || -> BoxFuture<'static, u32> { Box::pin(async { 3 }) };
        assert_eq!(once.get_or_start(ready, false).await, None);
        assert_eq!(once.get_or_start(ready, true).await, Some(3));
    }
}
