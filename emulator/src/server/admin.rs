//! Admin endpoint (stub until written).
use super::App;
use axum::Router;
pub(crate) fn routes() -> Router<App> {
    Router::new()
}
