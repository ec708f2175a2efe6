//! The HTTPS listener: rustls with the ring provider and a self-signed certificate for
//! 127.0.0.1 and localhost (some clients, e.g. simple-salesforce, only build https URLs).

use std::net::SocketAddr;
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;

use crate::OrgState;
use crate::error::{Error, Result};

/// A running HTTPS listener; dropping it stops it.
pub(crate) struct TlsListener {
    pub base_url: String,
    pub cert_pem: String,
    handle: axum_server::Handle<SocketAddr>,
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// Makes the certificate, binds `addr` and serves the org over HTTPS in the background.
pub(crate) async fn serve(state: Arc<OrgState>, addr: SocketAddr) -> Result<TlsListener> {
    // Several orgs in one process share the process-wide provider; a second install is a no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .map_err(|e| Error::Tls(format!("cannot make a self-signed certificate: {e}")))?;
    let cert_pem = certified.cert.pem();
    let key_pem = certified.signing_key.serialize_pem();
    let config = RustlsConfig::from_pem(cert_pem.clone().into_bytes(), key_pem.into_bytes())
        .await
        .map_err(|e| Error::Tls(format!("rustls rejected the certificate: {e}")))?;
    let listen_error = |source| Error::Listen {
        addr: addr.to_string(),
        cause: source,
    };
    let listener = std::net::TcpListener::bind(addr).map_err(listen_error)?;
    listener.set_nonblocking(true).map_err(listen_error)?;
    let local = listener.local_addr().map_err(listen_error)?;
    let base_url = format!("https://{local}");
    let app = super::router(state, base_url.clone());
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp_rustls(listener, config)
        .map_err(listen_error)?
        .handle(handle.clone());
    tokio::spawn(async move {
        if let Err(e) = server.serve(app.into_make_service()).await {
            tracing::error!("emulated org stopped serving https: {e}");
        }
    });
    Ok(TlsListener {
        base_url,
        cert_pem,
        handle,
    })
}
