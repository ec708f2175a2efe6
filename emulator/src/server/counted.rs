//! Counts the bytes the org sends, as they go out (after any gzip), so benchmarks can report
//! what a query cost on the wire.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http_body::{Body as HttpBody, Frame, SizeHint};

use crate::org::OrgState;

/// A response body that adds each data frame's length to the org's `bytes_sent`. It keeps the
/// inner body's size hint, so responses sent with a `Content-Length` keep it.
pub(crate) struct CountedBody {
    inner: Body,
    state: Arc<OrgState>,
}

impl CountedBody {
    pub(crate) fn wrap(inner: Body, state: Arc<OrgState>) -> Body {
        Body::new(CountedBody { inner, state })
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
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            this.state
                .bytes_sent
                .fetch_add(data.len() as u64, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
