//! Open query cursors (REST `nextRecordsUrl`, SOAP `queryLocator`): a selection made once,
//! read page by page.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use parking_lot::Mutex;

use super::engine::Selection;
use crate::model::ids;

/// How many cursors stay open; the oldest is released first, as orgs do (they allow 10 per
/// user; this org is more generous so parallel tests do not trip over each other).
const MAX_OPEN: usize = 200;

/// A selection and the page size its client asked for.
pub(crate) struct Cursor {
    pub selection: Selection,
    pub batch_size: usize,
}

/// The open cursors by locator id (`01g…`).
#[derive(Default)]
pub(crate) struct CursorStore {
    inner: Mutex<OpenCursors>,
}

#[derive(Default)]
struct OpenCursors {
    opened: usize,
    by_id: HashMap<String, Arc<Cursor>>,
    oldest_first: VecDeque<String>,
}

impl CursorStore {
    /// Opens a cursor; returns its locator id.
    pub(crate) fn open(&self, cursor: Arc<Cursor>) -> String {
        let mut inner = self.inner.lock();
        inner.opened += 1;
        let id = ids::make("01g", inner.opened);
        inner.by_id.insert(id.clone(), cursor);
        inner.oldest_first.push_back(id.clone());
        if inner.oldest_first.len() > MAX_OPEN
            && let Some(old) = inner.oldest_first.pop_front()
        {
            inner.by_id.remove(&old);
        }
        id
    }

    /// Forgets every open cursor (their locators answer `INVALID_QUERY_LOCATOR`).
    pub(crate) fn expire_all(&self) {
        let mut inner = self.inner.lock();
        inner.by_id.clear();
        inner.oldest_first.clear();
    }

    /// The cursor of a locator `01g…-2000` and the row it continues at.
    pub(crate) fn resume(&self, locator: &str) -> Option<(Arc<Cursor>, usize)> {
        let (id, offset) = locator.rsplit_once('-')?;
        let offset = offset.parse().ok()?;
        let cursor = self.inner.lock().by_id.get(id).cloned()?;
        Some((cursor, offset))
    }
}
