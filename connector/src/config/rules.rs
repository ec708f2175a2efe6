//! The connection rules, checked in one place before any request is sent.

use std::net::IpAddr;
use std::path::Path;

use secrecy::SecretString;
use url::Url;

use super::file::{ByteSizeText, ConnectionFile, ShareText, SyncEntry, VersionText};
use super::secret::{self, Origin};
use super::{
    ApiType, ApiVersion, AuthType, CaBundle, Connection, Credentials, HttpSettings, Limits,
    ObjectSelection, SyncSettings,
};
use crate::error::{ConfigIssue, Error, IssueKind, Result};

/// Settings gathered from a file or a builder, secrets resolved, not yet checked.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub connection_name: Option<String>,
    pub developer_name: Option<String>,
    pub description: Option<String>,
    pub auth_type: AuthType,
    pub client_id: Option<String>,
    pub client_secret: Option<(SecretString, Origin)>,
    pub username: Option<String>,
    pub password: Option<(SecretString, Origin)>,
    pub security_token: Option<(SecretString, Origin)>,
    pub service_url: Option<String>,
    pub domain_url: Option<String>,
    pub api_type: ApiType,
    pub api_version: Option<String>,
    pub objects: Option<Vec<ObjectSelection>>,
    pub limits: Option<Limits>,
    pub limits_text: Option<(Option<u64>, Option<ByteSizeText>)>,
    pub sync: Option<SyncSettings>,
    pub sync_text: Option<SyncEntry>,
    pub http: HttpSettings,
    /// The `ca_bundle` file, relative paths already anchored at the connection file's folder.
    pub ca_bundle: Option<std::path::PathBuf>,
    pub issues: Vec<ConfigIssue>,
}

fn issue(setting: &str, problem: impl Into<String>, fix: impl Into<String>) -> ConfigIssue {
    ConfigIssue {
        kind: IssueKind::Invalid,
        setting: setting.to_string(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// A required setting that is not there.
fn missing(setting: &str, fix: impl Into<String>) -> ConfigIssue {
    ConfigIssue {
        kind: IssueKind::Missing,
        ..issue(setting, "is missing", fix)
    }
}

/// File model → draft (resolving `${VAR}`/`file:`) → validated connection.
pub(crate) fn from_file(
    file: ConnectionFile,
    base_dir: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Connection> {
    let mut d = Draft {
        connection_name: Some(file.connection_name),
        developer_name: Some(file.developer_name),
        description: file.description,
        auth_type: file.auth_type.unwrap_or_default(),
        domain_url: Some(file.domain_url),
        api_type: file.api_type.unwrap_or_default(),
        service_url: file.service_url,
        ..Draft::default()
    };
    let plain = |setting: &str, raw: Option<String>, issues: &mut Vec<ConfigIssue>| {
        raw.and_then(|r| match secret::resolve(setting, &r, base_dir, env) {
            Ok((v, _)) => Some(v),
            Err(i) => {
                issues.push(i);
                None
            }
        })
    };
    d.client_id = plain("client_id", file.client_id, &mut d.issues);
    d.username = plain("username", file.username, &mut d.issues);
    let hidden = |setting: &str, raw: Option<String>, issues: &mut Vec<ConfigIssue>| {
        raw.and_then(|r| match secret::resolve(setting, &r, base_dir, env) {
            Ok((v, origin)) => Some((SecretString::from(v), origin)),
            Err(i) => {
                issues.push(i);
                None
            }
        })
    };
    d.client_secret = hidden("client_secret", file.client_secret, &mut d.issues);
    d.password = hidden("password", file.password, &mut d.issues);
    d.security_token = hidden("security_token", file.security_token, &mut d.issues);
    d.api_version = file.api_version.map(|v| match v {
        VersionText::Text(t) => t,
        VersionText::Number(n) => format!("{n:.1}"),
    });
    d.objects = file.objects.map(|objects| {
        objects
            .into_iter()
            .map(|(name, entry)| ObjectSelection {
                name,
                fields: entry.fields,
                filter: entry.filter,
            })
            .collect()
    });
    d.limits_text = file.limits.map(|l| (l.max_rows, l.max_bytes));
    d.ca_bundle = file.ca_bundle.map(|path| match base_dir {
        Some(dir) if Path::new(path.trim()).is_relative() => dir.join(path.trim()),
        _ => path.trim().into(),
    });
    d.sync_text = file.sync;
    validate(d)
}

/// Checks every rule; collects all problems rather than stopping at the first.
pub(crate) fn validate(mut d: Draft) -> Result<Connection> {
    let mut issues = std::mem::take(&mut d.issues);
    let mut warnings = Vec::new();

    let developer_name = d.developer_name.clone().unwrap_or_default();
    if let Err(problem) = check_developer_name(&developer_name) {
        let fix =
            "use letters, digits and single underscores, starting with a letter, e.g. `sales_eu`";
        issues.push(if developer_name.is_empty() {
            missing("developer_name", fix)
        } else {
            issue("developer_name", problem, fix)
        });
    } else if let Some(reserved) = RESERVED_SCHEMA_NAMES
        .iter()
        .find(|r| r.eq_ignore_ascii_case(&developer_name))
    {
        issues.push(issue(
            "developer_name",
            format!("`{developer_name}` is a name the SQL engine keeps for itself (`{reserved}`)"),
            "pick another name, e.g. `sales_eu`",
        ));
    }
    let connection_name = d
        .connection_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| developer_name.clone());

    let domain_url = match d.domain_url.as_deref().map(str::trim) {
        None | Some("") => {
            issues.push(missing(
                "domain_url",
                "set it to the org's My Domain URL, e.g. `https://acme.my.salesforce.com`",
            ));
            None
        }
        Some(raw) => match check_org_url(raw) {
            Ok(url) => {
                if d.auth_type == AuthType::Oauth && is_generic_login_host(&url) {
                    issues.push(issue(
                        "domain_url",
                        format!("`{raw}` is the generic login host; the client credentials flow works only on the org's My Domain"),
                        "use the My Domain URL from Setup > My Domain, e.g. `https://acme.my.salesforce.com`",
                    ));
                }
                Some(url)
            }
            Err(problem) => {
                issues.push(issue("domain_url", problem, "use the org's My Domain URL, e.g. `https://acme.my.salesforce.com` (plain http only for a loopback address such as the emulated org)"));
                None
            }
        },
    };
    let loopback = domain_url.as_ref().is_some_and(is_loopback);

    let api_version = match d.api_version.as_deref() {
        None => ApiVersion::DEFAULT,
        Some(text) => match ApiVersion::parse(text) {
            Some(v) => v,
            None => {
                issues.push(issue(
                    "api_version",
                    format!("`{text}` is not an API version"),
                    "write it as `\"64.0\"`",
                ));
                ApiVersion::DEFAULT
            }
        },
    };
    if api_version.major() <= 30 {
        issues.push(issue(
            "api_version",
            format!("{api_version} is retired by Salesforce (21.0-30.0 no longer answer)"),
            format!("use {} or later", ApiVersion::MIN_STANDARD_OBJECTS),
        ));
    } else if api_version < ApiVersion::MIN_STANDARD_OBJECTS {
        let standard = d
            .objects
            .as_ref()
            .is_none_or(|objs| objs.iter().any(|o| !o.name.contains("__")));
        if standard {
            issues.push(issue(
                "api_version",
                format!("{api_version} is too old for standard objects"),
                format!("use {} or later", ApiVersion::MIN_STANDARD_OBJECTS),
            ));
        }
    }
    if d.api_type == ApiType::BulkV2 && api_version < ApiVersion::MIN_BULKV2 {
        issues.push(issue(
            "api_version",
            format!(
                "api_type bulkv2 needs API version {} or later, not {api_version}",
                ApiVersion::MIN_BULKV2
            ),
            format!(
                "raise api_version to {} or later, or use `api_type: soap`",
                ApiVersion::MIN_BULKV2
            ),
        ));
    }

    let credentials = match d.auth_type {
        AuthType::Oauth => {
            for (key, present) in [
                ("username", d.username.is_some()),
                ("password", d.password.is_some()),
                ("security_token", d.security_token.is_some()),
                ("service_url", d.service_url.is_some()),
            ] {
                if present {
                    issues.push(issue(
                        key,
                        "is only used with `auth_type: password`",
                        "remove it (oauth uses client_id and client_secret)",
                    ));
                }
            }
            let client_id = d.client_id.take().filter(|s| !s.is_empty());
            if client_id.is_none() {
                issues.push(missing("client_id", "set it to the External Client App's consumer key, e.g. `client_id: ${SF_CLIENT_ID}`"));
            }
            let secret = d.client_secret.take();
            match &secret {
                None => issues.push(missing(
                    "client_secret",
                    "set it to the consumer secret, e.g. `client_secret: ${SF_CLIENT_SECRET}`",
                )),
                Some((_, Origin::Inline)) if !loopback => {
                    issues.push(inline_secret("client_secret", "SF_CLIENT_SECRET"))
                }
                _ => {}
            }
            match (client_id, secret) {
                (Some(client_id), Some((client_secret, _))) => {
                    Some(Credentials::ClientCredentials {
                        client_id,
                        client_secret,
                    })
                }
                _ => None,
            }
        }
        AuthType::Password => {
            warnings.push("auth_type `password` (SOAP login()) is deprecated and is being retired by Salesforce; use `auth_type: oauth` with the client credentials of an External Client App".to_string());
            for (key, present) in [
                ("client_id", d.client_id.is_some()),
                ("client_secret", d.client_secret.is_some()),
            ] {
                if present {
                    issues.push(issue(
                        key,
                        "is only used with `auth_type: oauth`",
                        "remove it, or switch to `auth_type: oauth`",
                    ));
                }
            }
            if api_version >= ApiVersion::FIRST_WITHOUT_SOAP_LOGIN {
                issues.push(issue(
                    "api_version",
                    format!("SOAP login() does not exist in API {api_version}"),
                    "use `auth_type: oauth` (recommended), or api_version 64.0 or older",
                ));
            }
            let username = d.username.take().filter(|s| !s.is_empty());
            if username.is_none() {
                issues.push(missing(
                    "username",
                    "set the Salesforce user name, or switch to `auth_type: oauth`",
                ));
            }
            let service_url = match d.service_url.as_deref() {
                None => Url::parse("https://login.salesforce.com").ok(),
                Some(raw) => match check_org_url(raw) {
                    Ok(u) => Some(u),
                    Err(problem) => {
                        issues.push(issue(
                            "service_url",
                            problem,
                            "use the org's My Domain URL or `https://login.salesforce.com`",
                        ));
                        None
                    }
                },
            };
            // The password goes to the SOAP login host, not to domain_url: an inline one is
            // acceptable only when that host is a loopback address (the emulated org).
            let login_loopback = service_url.as_ref().is_some_and(is_loopback);
            let password = d.password.take();
            match &password {
                None => issues.push(missing(
                    "password",
                    "set it, e.g. `password: ${SF_PASSWORD}`",
                )),
                Some((_, Origin::Inline)) if !login_loopback => {
                    issues.push(inline_secret("password", "SF_PASSWORD"))
                }
                _ => {}
            }
            if let Some((_, Origin::Inline)) = &d.security_token
                && !login_loopback
            {
                issues.push(inline_secret("security_token", "SF_SECURITY_TOKEN"));
            }
            match (username, password, service_url) {
                (Some(username), Some((password, _)), Some(service_url)) => {
                    Some(Credentials::Password {
                        username,
                        password,
                        security_token: d.security_token.take().map(|(t, _)| t),
                        service_url,
                    })
                }
                _ => None,
            }
        }
    };

    let mut objects = d.objects.take();
    if let Some(objs) = objects.as_mut() {
        for o in objs.iter_mut() {
            if !is_valid_object_name(&o.name) {
                issues.push(issue(
                    &format!("objects.{}", o.name),
                    format!("`{}` is not a valid object name", o.name),
                    "object names start with a letter, hold only letters, digits and underscores, and do not end with an underscore",
                ));
            }
            if let Some(fields) = &o.fields {
                if fields.is_empty() {
                    issues.push(issue(
                        &format!("objects.{}.fields", o.name),
                        "is empty",
                        "list at least one field, or remove `fields` to sync every visible field",
                    ));
                }
                for f in fields {
                    if !is_valid_field_name(f) {
                        issues.push(issue(
                            &format!("objects.{}.fields", o.name),
                            format!("`{f}` is not a valid field name"),
                            "field names hold only letters, digits, dots, underscores and dashes",
                        ));
                    }
                }
            }
            if let Some(filter) = &o.filter {
                if filter.trim().is_empty() {
                    o.filter = None;
                } else if let Err(message) = soql::parse_where(filter) {
                    issues.push(issue(
                        &format!("objects.{}.filter", o.name),
                        format!("is not a valid SOQL WHERE expression: {message}"),
                        "write a SOQL condition such as `Industry != null AND AnnualRevenue > 1000000`",
                    ));
                }
            }
        }
    }

    let government = domain_url
        .as_ref()
        .and_then(|u| u.host_str())
        .is_some_and(|h| h.ends_with(".salesforce.mil"));
    let mut limits = d.limits.unwrap_or(if government {
        Limits::GOVERNMENT_DEFAULT
    } else {
        Limits::DEFAULT
    });
    if let Some((rows, bytes)) = d.limits_text.take() {
        if let Some(rows) = rows {
            limits.max_rows = rows;
        }
        if let Some(bytes) = bytes {
            match parse_byte_size(&bytes) {
                Some(b) => limits.max_bytes = b,
                None => issues.push(issue(
                    "limits.max_bytes",
                    "is not a size",
                    "write a number with a unit, e.g. `50GB` or `500MB`",
                )),
            }
        }
    }
    if limits.max_rows == 0 || limits.max_rows > Limits::MAX.max_rows {
        issues.push(issue(
            "limits.max_rows",
            format!("{} is out of range", limits.max_rows),
            "use 1 to 2000000000 rows",
        ));
    }
    if limits.max_bytes == 0 || limits.max_bytes > Limits::MAX.max_bytes {
        issues.push(issue(
            "limits.max_bytes",
            format!("{} bytes is out of range", limits.max_bytes),
            "use at most 1000GB",
        ));
    }
    if let Some(path) = d.ca_bundle.take() {
        let read = secret::read_capped_file(&path, MAX_CA_BUNDLE_BYTES)
            .and_then(|pem| CaBundle::from_pem(&path, pem));
        match read {
            Ok(bundle) => d.http.ca_bundle = Some(bundle),
            Err(problem) => issues.push(issue(
                "ca_bundle",
                format!("cannot use `{}`: {problem}", path.display()),
                "point it at a PEM file of the certificate authorities to trust (relative paths start at the connection file's folder)",
            )),
        }
    }
    let sync = sync_settings(d.sync.take(), d.sync_text.take(), &mut issues);
    if d.http.max_concurrency == 0 {
        issues.push(issue(
            "http.max_concurrency",
            "is 0",
            "allow at least one request in flight",
        ));
    }

    // A reference that failed to resolve was reported already; "is missing" would repeat it.
    let mut seen = std::collections::HashSet::new();
    issues.retain(|i| i.kind != IssueKind::Missing || seen.insert(i.setting.clone()));
    let unresolved: std::collections::HashSet<String> = issues
        .iter()
        .filter(|i| i.kind != IssueKind::Missing)
        .map(|i| i.setting.clone())
        .collect();
    issues.retain(|i| i.kind != IssueKind::Missing || !unresolved.contains(&i.setting));

    match (issues.is_empty(), credentials, domain_url) {
        // Warnings are returned, not logged: the caller shows them once (the CLI on stderr).
        (true, Some(credentials), Some(domain_url)) => Ok(Connection {
            connection_name,
            developer_name,
            description: d.description.take(),
            credentials,
            domain_url,
            api_type: d.api_type,
            api_version,
            objects,
            limits,
            sync,
            http: d.http,
            warnings,
        }),
        _ => Err(Error::InvalidConnection { issues }),
    }
}

/// The most a `ca_bundle` file may hold: the whole Mozilla bundle is about 250 KB.
const MAX_CA_BUNDLE_BYTES: u64 = 4 * 1024 * 1024;

fn inline_secret(setting: &str, var: &str) -> ConfigIssue {
    issue(
        setting,
        "is written inline in the connection file",
        format!(
            "keep secrets out of the file: write `{setting}: ${{{var}}}` (environment) or `{setting}: file:PATH`"
        ),
    )
}

/// Schema and catalog names DataFusion gives a meaning of its own: a connection of that
/// name would hide, or be hidden by, them in SQL.
const RESERVED_SCHEMA_NAMES: [&str; 4] =
    ["information_schema", "public", "datafusion", "pg_catalog"];

fn check_developer_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is missing".into());
    }
    let first_ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok {
        return Err(format!("`{name}` does not start with a letter"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(format!("`{name}` contains `{bad}`"));
    }
    if name.ends_with('_') {
        return Err(format!("`{name}` ends with an underscore"));
    }
    if name.contains("__") {
        return Err(format!("`{name}` contains a double underscore"));
    }
    if name.len() > 80 {
        return Err(format!("`{name}` is longer than 80 characters"));
    }
    Ok(())
}

/// Object API names: start with a letter; letters, digits, underscores; no trailing underscore.
pub fn is_valid_object_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.ends_with('_')
}

/// Field API names: letters, digits, dots, underscores and dashes; not empty.
pub fn is_valid_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `https://` on a Salesforce host, or any scheme of http/https on a loopback address;
/// scheme, host and port only. Messages never repeat a password written into the URL.
fn check_org_url(raw: &str) -> Result<Url, String> {
    let shown = without_userinfo(raw);
    let raw_shown = shown.as_str();
    let url = Url::parse(raw).map_err(|e| format!("`{raw_shown}` is not a URL ({e})"))?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{raw_shown}` is not an http(s) URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "`{raw_shown}` holds a user name or password; give only the scheme and host (credentials go in their own settings)"
        ));
    }
    if url.path() != "/" && !url.path().is_empty() {
        return Err(format!(
            "`{raw_shown}` has a path; give only the scheme and host"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "`{raw_shown}` has a query or fragment; give only the scheme and host"
        ));
    }
    let raw = raw_shown;
    if is_loopback(&url) {
        return Ok(url);
    }
    if url.scheme() != "https" {
        return Err(format!(
            "`{raw}` is plain http; Salesforce is reached over https only"
        ));
    }
    let salesforce = ["salesforce.com", "salesforce.mil", "force.com"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")));
    if !salesforce {
        return Err(format!(
            "`{host}` is not a Salesforce host (*.my.salesforce.com)"
        ));
    }
    Ok(url)
}

/// `scheme://user:pw@host..` as `scheme://***@host..`, for messages.
fn without_userinfo(raw: &str) -> String {
    let Some((scheme, rest)) = raw.split_once("://") else {
        return raw.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => raw.to_owned(),
    }
}

fn is_generic_login_host(url: &Url) -> bool {
    matches!(
        url.host_str(),
        Some("login.salesforce.com" | "test.salesforce.com")
    )
}

/// 127.0.0.0/8, `::1` and `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The `sync:` settings: the builder's, else the file's on top of the defaults; each
/// out-of-range value is an issue naming it.
fn sync_settings(
    built: Option<SyncSettings>,
    text: Option<SyncEntry>,
    issues: &mut Vec<ConfigIssue>,
) -> SyncSettings {
    let mut sync = built.unwrap_or_default();
    let mut concurrency = Some(sync.concurrency as u64);
    let mut reconcile_every = sync.reconcile_every.map(|n| n.get());
    let mut budget = sync.api_budget;
    if let Some(text) = text {
        if let Some(n) = text.reconcile_every {
            reconcile_every = Some(n);
        }
        if let Some(n) = text.concurrency {
            concurrency = Some(u64::from(n));
        }
        if let Some(share) = &text.api_budget {
            match parse_share(share) {
                Some(b) => budget = Some(b),
                None => {
                    budget = None;
                    issues.push(issue(
                        "sync.api_budget",
                        "is not a share",
                        "write a percentage such as `50%`, or a fraction such as 0.5",
                    ))
                }
            }
        }
    }
    match reconcile_every.map(std::num::NonZeroU32::new) {
        Some(None) => issues.push(issue(
            "sync.reconcile_every",
            "is 0",
            "write how many syncs apart a reconcile runs (1: every sync), or leave it out to reconcile only with --reconcile",
        )),
        Some(n) => sync.reconcile_every = n,
        None => sync.reconcile_every = None,
    }
    match concurrency {
        Some(n) if (1..=SyncSettings::MAX_CONCURRENCY as u64).contains(&n) => {
            sync.concurrency = n as usize
        }
        Some(n) => issues.push(issue(
            "sync.concurrency",
            format!("{n} is out of range"),
            format!("use 1 to {}", SyncSettings::MAX_CONCURRENCY),
        )),
        None => {}
    }
    match budget {
        Some(b) if b.is_nan() || b <= 0.0 || b > 1.0 => issues.push(issue(
            "sync.api_budget",
            format!("{}% is out of range", b * 100.0),
            "use more than 0% and at most 100% of the org's daily API limit",
        )),
        b => sync.api_budget = b,
    }
    sync
}

/// `50%` → 0.5; `0.5` → 0.5.
fn parse_share(text: &ShareText) -> Option<f64> {
    match text {
        ShareText::Fraction(f) => f.is_finite().then_some(*f),
        ShareText::Percent(t) => {
            let number = t.trim().strip_suffix('%')?.trim();
            let p: f64 = number.parse().ok()?;
            p.is_finite().then_some(p / 100.0)
        }
    }
}

fn parse_byte_size(text: &ByteSizeText) -> Option<u64> {
    match text {
        ByteSizeText::Bytes(b) => Some(*b),
        ByteSizeText::Text(t) => {
            let t = t.trim().to_ascii_uppercase();
            let split = t
                .find(|c: char| !c.is_ascii_digit() && c != '.')
                .unwrap_or(t.len());
            let (num, unit) = t.split_at(split);
            let num: f64 = num.parse().ok()?;
            let mult: f64 = match unit.trim() {
                "" | "B" => 1.0,
                "KB" => 1e3,
                "MB" => 1e6,
                "GB" => 1e9,
                "TB" => 1e12,
                _ => return None,
            };
            let v = num * mult;
            (v.is_finite() && v >= 0.0).then_some(v as u64)
        }
    }
}
