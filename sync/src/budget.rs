//! The connection's API budget (`sync.api_budget`): a share of the org's daily API limit
//! that the org's usage, as `Sforce-Limit-Info` reports it after every call, may reach.

use sfdf_connector::Session;

use crate::source::StopWhen;

/// Why the sync must stop, when the org's usage has reached the budget.
pub(crate) fn spent(session: &Session) -> Option<String> {
    let share = session.connection().sync_settings().api_budget?;
    let usage = session.api_usage();
    if usage.limit == 0 {
        return None; // no call has told the usage yet
    }
    let allowed = (share * usage.limit as f64).floor() as u64;
    (usage.used >= allowed).then(|| {
        format!(
            "the API budget is spent: the org has used {} of its {} daily API calls and the connection's sync.api_budget is {}% ({allowed} calls); nothing of this object was committed, the next run resumes from its last checkpoint (raise sync.api_budget, or run again when the org's usage has gone down)",
            usage.used,
            usage.limit,
            share * 100.0
        )
    })
}

/// [`spent`] as a stop condition of an extraction, when the connection has a budget.
pub(crate) fn stop_when(session: &Session) -> Option<StopWhen> {
    session.connection().sync_settings().api_budget?;
    let session = session.clone();
    Some(std::sync::Arc::new(move || spent(&session)))
}
