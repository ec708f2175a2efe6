//! Counts the bytes the org sends, as they go out (after any gzip), so benchmarks can report
//! what a query cost on the wire; and, when the org models a link of limited speed, paces
//! them to it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::org::OrgState;

/// Slices a paced body is sent in: small enough that a client sees a steady stream.
const PACED_SLICE: usize = 64 * 1024;

/// How far ahead of the link's schedule a slice may be sent (a few timer ticks).
const BURST: Duration = Duration::from_millis(5);

/// The org's outbound link at a fixed speed, shared by every response (so concurrent
/// downloads share its bandwidth, as on a real network).
#[derive(Debug)]
pub(crate) struct Link {
    bytes_per_sec: u64,
    /// When the link is free again: bytes already scheduled finish by then.
    free_at: parking_lot::Mutex<Option<Instant>>,
}

impl Link {
    pub(crate) fn new(bytes_per_sec: u64) -> Self {
        Link {
            bytes_per_sec: bytes_per_sec.max(1),
            free_at: parking_lot::Mutex::new(None),
        }
    }

    /// Schedules `n` bytes on the link; returns when they have arrived.
    fn schedule(&self, n: usize) -> Instant {
        let now = Instant::now();
        let mut free_at = self.free_at.lock();
        let start = free_at.map_or(now, |t| t.max(now));
        let done = start + Duration::from_secs_f64(n as f64 / self.bytes_per_sec as f64);
        *free_at = Some(done);
        done
    }
}

/// A response body that adds each data frame's length to the org's `bytes_sent`, paced to
/// the org's [`Link`] when it has one. It keeps the inner body's size hint, so responses sent
/// with a `Content-Length` keep it.
pub(crate) struct CountedBody {
    inner: Body,
    state: Arc<OrgState>,
    /// Paced mode: bytes of the current frame not yet scheduled.
    pending: Bytes,
    /// Paced mode: a scheduled slice and the moment it has crossed the link.
    in_flight: Option<(Bytes, Pin<Box<Sleep>>)>,
}

impl CountedBody {
    pub(crate) fn wrap(inner: Body, state: Arc<OrgState>) -> Body {
        Body::new(CountedBody {
            inner,
            state,
            pending: Bytes::new(),
            in_flight: None,
        })
    }

    fn count(&self, n: usize) {
        self.state.bytes_sent.fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl HttpBody for CountedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        loop {
            if let Some((_, sleep)) = this.in_flight.as_mut() {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                if let Some((slice, _)) = this.in_flight.take() {
                    this.count(slice.len());
                    return Poll::Ready(Some(Ok(Frame::data(slice))));
                }
            }
            if let Some(link) = &this.state.link
                && !this.pending.is_empty()
            {
                let n = this.pending.len().min(PACED_SLICE);
                let slice = this.pending.split_to(n);
                let arrives = link.schedule(n);
                // Timers tick in milliseconds: sleeping for every 64 KB slice would cap a
                // fast link at 64 MB/s per response. Slices due within the burst go out now;
                // the schedule still holds the average to the link's speed.
                if arrives <= Instant::now() + BURST {
                    this.count(slice.len());
                    return Poll::Ready(Some(Ok(Frame::data(slice))));
                }
                this.in_flight = Some((slice, Box::pin(tokio::time::sleep_until(arrives))));
                continue;
            }
            let polled = Pin::new(&mut this.inner).poll_frame(cx);
            match polled {
                Poll::Ready(Some(Ok(frame))) if this.state.link.is_some() => {
                    match frame.into_data() {
                        Ok(data) => this.pending = data,
                        Err(frame) => return Poll::Ready(Some(Ok(frame))),
                    }
                }
                Poll::Ready(Some(Ok(frame))) => {
                    if let Some(data) = frame.data_ref() {
                        this.count(data.len());
                    }
                    return Poll::Ready(Some(Ok(frame)));
                }
                other => return other,
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && self.in_flight.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = self.inner.size_hint();
        let held =
            (self.pending.len() + self.in_flight.as_ref().map_or(0, |(s, _)| s.len())) as u64;
        if held > 0 {
            hint = match hint.exact() {
                Some(n) => SizeHint::with_exact(n + held),
                None => {
                    let mut h = SizeHint::new();
                    h.set_lower(hint.lower() + held);
                    h
                }
            };
        }
        hint
    }
}
