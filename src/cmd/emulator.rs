//! `sfdf emulator`: serve an emulated Salesforce org until interrupted.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::outln;

use anyhow::Context as _;
use sfdf_emulator::EmulatedOrg;

/// Arguments of `sfdf emulator`.
///
/// The org answers the OAuth token endpoint, REST (describe, query/queryAll, records, limits),
/// Bulk API 2.0 query jobs and SOAP (login, query) on the printed base URL. Point any client's
/// "instance URL" or "My Domain URL" at it. Faults and the request log are under
/// `BASE/__emulator/` (see docs/emulator.md).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (plain HTTP and, with --tls-port, HTTPS).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Plain-HTTP port (0 = any free port).
    #[arg(long, default_value_t = 8643)]
    pub port: u16,
    /// Also serve HTTPS on this port, with a self-signed certificate for 127.0.0.1 and
    /// localhost (for clients that only build https:// URLs, e.g. simple-salesforce).
    #[arg(long)]
    pub tls_port: Option<u16>,
    /// Where to write the HTTPS certificate (PEM), for the client to trust
    /// (e.g. REQUESTS_CA_BUNDLE=cert.pem, NODE_EXTRA_CA_CERTS=cert.pem).
    #[arg(long, requires = "tls_port", default_value = "sfdf-emulator-cert.pem")]
    pub cert_out: PathBuf,
    /// Account rows; the other objects scale from it (2 Contacts, 1 Opportunity, 1.5 Invoices,
    /// 0.5 Leads and 0.5 Cases per Account, at least 25 Users).
    #[arg(long, default_value_t = 10_000)]
    pub rows: usize,
    /// Seed of the deterministic data: the same seed and rows give the same org.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Rows per Bulk API 2.0 result page when the client sends no maxRecords.
    #[arg(long, default_value_t = 50_000)]
    pub page_rows: usize,
    /// Models a network link of this many megabytes (10^6 bytes) per second, shared by all
    /// responses (default: unlimited, loopback speed).
    #[arg(long)]
    pub link_mb_per_sec: Option<f64>,
    /// Consumer key accepted by the token endpoint (client_credentials and password grants).
    #[arg(long, requires = "client_secret")]
    pub client_id: Option<String>,
    /// Consumer secret matching --client-id.
    #[arg(long, requires = "client_id")]
    pub client_secret: Option<String>,
    /// Username accepted by the password grant and SOAP login().
    #[arg(long, requires = "password")]
    pub username: Option<String>,
    /// Password matching --username (no security token needed).
    #[arg(long, requires = "username")]
    pub password: Option<String>,
    /// Token the admin and fault endpoints (`/__emulator/…`) require as
    /// `Authorization: Bearer TOKEN`. Bound beyond loopback, one is made up when not given.
    #[arg(long)]
    pub admin_token: Option<String>,
}

/// Runs `sfdf emulator`.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut builder = EmulatedOrg::builder()
        .rows(args.rows)
        .seed(args.seed)
        .page_rows(args.page_rows)
        .bind(SocketAddr::new(args.bind, args.port));
    if let Some(mb) = args.link_mb_per_sec {
        anyhow::ensure!(
            mb.is_finite() && mb * 1e6 >= 1.0,
            "--link-mb-per-sec must be a positive number of megabytes per second, got {mb}"
        );
        builder = builder.link_speed((mb * 1e6) as u64);
    }
    if let (Some(id), Some(secret)) = (args.client_id, args.client_secret) {
        builder = builder.client_credentials(id, secret);
    }
    if let (Some(user), Some(password)) = (args.username, args.password) {
        builder = builder.user_password(user, password);
    }
    let admin_token = args
        .admin_token
        .clone()
        .or_else(|| (!args.bind.is_loopback()).then(random_token));
    if let Some(token) = &admin_token {
        builder = builder.admin_token(token.clone());
    }
    if let Some(tls_port) = args.tls_port {
        builder = builder.tls_bind(SocketAddr::new(args.bind, tls_port));
    }
    let org = builder.start().await.with_context(|| {
        format!(
            "cannot start the emulated org on {}:{}",
            args.bind, args.port
        )
    })?;
    if let Some(pem) = org.tls_certificate_pem() {
        std::fs::write(&args.cert_out, pem).with_context(|| {
            format!(
                "cannot write the certificate to {}",
                args.cert_out.display()
            )
        })?;
    }
    // Bound to every interface (0.0.0.0 or ::), the org's own URL names no reachable host;
    // sfdf (and most clients) on this machine reach it on loopback.
    let base = if args.bind.is_unspecified() {
        org.base_url()
            .replace("0.0.0.0", "127.0.0.1")
            .replace("[::]", "[::1]")
    } else {
        org.base_url().to_owned()
    };
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: listening on {} beyond loopback: anyone who reaches this port can use the emulated org, whose credentials below are not secret; its admin and fault endpoints ({base}/__emulator/…) have no authentication of their own, so they require the admin token below",
            args.bind
        );
    }
    outln!(
        "sfdf emulator: an emulated Salesforce org ({} Account rows, seed {})",
        args.rows,
        args.seed
    )?;
    outln!("  instance / My Domain URL : {base}")?;
    if let Some(tls) = org.tls_base_url() {
        outln!(
            "  HTTPS                    : {tls}  (certificate: {})",
            args.cert_out.display()
        )?;
    }
    outln!("  token endpoint           : {base}/services/oauth2/token")?;
    outln!("  client id                : {}", org.client_id())?;
    outln!("  client secret            : {}", org.client_secret())?;
    outln!("  username                 : {}", org.username())?;
    outln!("  password                 : {}", org.password())?;
    outln!("  request log, faults      : {base}/__emulator/requests, {base}/__emulator/faults/…")?;
    if let Some(token) = &admin_token {
        outln!("  admin token              : {token}  (Authorization: Bearer …)")?;
    }
    outln!("Serving until Ctrl-C.")?;
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    outln!("sfdf emulator: stopped")?;
    Ok(ExitCode::SUCCESS)
}

/// 256 random bits as hex from `rand`'s thread-local CSPRNG (ChaCha, seeded from the
/// operating system): a token that strangers on the network cannot guess or derive.
fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
