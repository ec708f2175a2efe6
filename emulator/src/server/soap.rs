//! SOAP partner API: login (stub until written).
use super::not_found;
use axum::response::Response;
pub(crate) async fn handle() -> Response {
    not_found().await
}
