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

/// A share in once-work: its value, the running work, or nothing (abandoned).
pub(crate) enum Claim<T: Clone> {
    Ready(T),
    Pending(Shared<BoxFuture<'static, T>>),
    Abandoned,
}

impl<T: Clone> std::fmt::Debug for Claim<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Claim::Ready(_) => "Claim::Ready",
            Claim::Pending(_) => "Claim::Pending",
            Claim::Abandoned => "Claim::Abandoned",
        })
    }
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
    pub(crate) fn get(&self) -> Option<&T> {
        self.done.get()
    }

    /// [`Self::claim`] and [`Self::resolve`] in one go: the first caller starts `start()`,
    /// later ones wait on the same work even if the first is dropped. `None` when the work
    /// was started before and every waiter dropped it unfinished, unless `restart` allows
    /// starting it again.
    #[cfg(test)]
    pub(crate) async fn get_or_start(
        &self,
        start: impl FnOnce() -> BoxFuture<'static, T>,
        restart: bool,
    ) -> Option<T> {
        self.resolve(self.claim(start, restart)).await
    }

    /// A share in the work, taken without waiting (and without running anything: the work
    /// runs when a claim is resolved). Whoever holds a claim keeps the work alive, so a
    /// partition opened but not polled yet counts as a reader.
    pub(crate) fn claim(
        &self,
        start: impl FnOnce() -> BoxFuture<'static, T>,
        restart: bool,
    ) -> Claim<T> {
        if let Some(v) = self.done.get() {
            return Claim::Ready(v.clone());
        }
        let mut running = self.lock();
        if let Some(v) = self.done.get() {
            return Claim::Ready(v.clone());
        }
        let alive = match &*running {
            Running::Started(weak) => weak.upgrade(),
            Running::Idle => None,
        };
        match alive {
            Some(shared) => Claim::Pending(shared),
            None if matches!(*running, Running::Started(_)) && !restart => Claim::Abandoned,
            None => {
                let shared = start().shared();
                *running = match shared.downgrade() {
                    Some(weak) => Running::Started(weak),
                    None => Running::Idle,
                };
                Claim::Pending(shared)
            }
        }
    }

    /// Waits for a claim's value (`None`: abandoned) and keeps it for later callers.
    pub(crate) async fn resolve(&self, claim: Claim<T>) -> Option<T> {
        let shared = match claim {
            Claim::Ready(v) => return Some(v),
            Claim::Abandoned => return None,
            Claim::Pending(shared) => shared,
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
    async fn a_claim_not_yet_awaited_keeps_the_work_alive() {
        let once = Arc::new(SharedOnce::<u32>::default());
        let starts = Arc::new(AtomicUsize::new(0));
        let start = {
            let starts = Arc::clone(&starts);
            move || -> BoxFuture<'static, u32> {
                starts.fetch_add(1, Ordering::SeqCst);
                Box::pin(async {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    9
                })
            }
        };
        let first = once.claim(start.clone(), false);
        let second = once.claim(start.clone(), false);
        let polled = {
            let once = Arc::clone(&once);
            tokio::spawn(async move { once.resolve(first).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        polled.abort();
        let _ = polled.await;
        assert_eq!(once.resolve(second).await, Some(9));
        assert_eq!(starts.load(Ordering::SeqCst), 1);
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
