//! "Save & Test": verify a connection end to end and, on failure, say the likely reasons
//! in plain words.
//!
//! Steps, in order (a failed step skips the rest): token, identity, API access, object
//! list, and with the connection's API type the real query of every configured object
//! (its fields and data sync filter, `LIMIT 1`), or one row of Account when none is.

use futures::StreamExt;

use crate::config::Connection;
use crate::error::Error;
use crate::extract::{PlanOptions, SoqlQuery};
use crate::session::Session;

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// It worked.
    Passed,
    /// It failed; see the step's likely causes.
    Failed,
    /// Not tried because an earlier step failed.
    Skipped,
}

/// One step of a connection test.
#[derive(Debug, Clone)]
pub struct CheckStep {
    /// `token`, `identity`, `API access`, `objects` or `query`.
    pub name: &'static str,
    /// Outcome.
    pub status: StepStatus,
    /// What was found (on success) or the error (on failure).
    pub detail: String,
    /// On failure: the likely reasons, most likely first, each with what to do.
    pub likely_causes: Vec<String>,
}

/// The outcome of [`test_connection`].
#[derive(Debug, Clone)]
pub struct ConnectionReport {
    /// Every step, in order.
    pub steps: Vec<CheckStep>,
    /// Warnings (e.g. the legacy password auth deprecation).
    pub warnings: Vec<String>,
}

impl ConnectionReport {
    /// Whether every step passed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.status == StepStatus::Passed)
    }

    /// The failed step, if any.
    pub fn failure(&self) -> Option<&CheckStep> {
        self.steps.iter().find(|s| s.status == StepStatus::Failed)
    }
}

const STEPS: [&str; 5] = ["token", "identity", "API access", "objects", "query"];

/// Runs the connection test. Never fails: problems are in the report.
pub async fn test_connection(connection: &Connection) -> ConnectionReport {
    let mut report = ConnectionReport {
        steps: Vec::new(),
        warnings: connection.warnings().to_vec(),
    };
    let fail = |report: &mut ConnectionReport, name: &'static str, e: &Error| {
        report.steps.push(CheckStep {
            name,
            status: StepStatus::Failed,
            detail: e.to_string(),
            likely_causes: likely_causes(connection, name, e),
        });
        let done = report.steps.len();
        for rest in &STEPS[done..] {
            report.steps.push(CheckStep {
                name: rest,
                status: StepStatus::Skipped,
                detail: String::new(),
                likely_causes: vec![],
            });
        }
    };
    let pass = |report: &mut ConnectionReport, name: &'static str, detail: String| {
        report.steps.push(CheckStep {
            name,
            status: StepStatus::Passed,
            detail,
            likely_causes: vec![],
        });
    };

    let session = match Session::authenticate(connection).await {
        Ok(s) => s,
        Err(e) => {
            fail(&mut report, "token", &e);
            return report;
        }
    };
    pass(
        &mut report,
        "token",
        format!(
            "{} token for {}",
            connection.auth_type_label(),
            session.instance_url()
        ),
    );

    match session.fetch_identity().await {
        Ok(id) => pass(
            &mut report,
            "identity",
            format!(
                "user {} ({}) in org {}",
                id.username.as_deref().unwrap_or("?"),
                id.user_id.as_deref().unwrap_or("?"),
                id.org_id.as_deref().unwrap_or("?")
            ),
        ),
        Err(e) => {
            fail(&mut report, "identity", &e);
            return report;
        }
    }

    match session.api_access().await {
        Ok(usage) => pass(
            &mut report,
            "API access",
            format!(
                "API {} answers; {} of {} daily API calls used",
                connection.api_version(),
                usage.used,
                usage.limit
            ),
        ),
        Err(e) => {
            fail(&mut report, "API access", &e);
            return report;
        }
    }

    let objects = match session.objects().await {
        Ok(o) => o,
        Err(e) => {
            fail(&mut report, "objects", &e);
            return report;
        }
    };
    if let Some(missing) = connection.objects().and_then(|sel| {
        sel.iter()
            .find(|s| !objects.iter().any(|o| o.name.eq_ignore_ascii_case(&s.name)))
    }) {
        let e = Error::Object {
            object: missing.name.clone(),
            reason: "is listed in the connection file but not visible to the connecting user"
                .into(),
        };
        fail(&mut report, "objects", &e);
        return report;
    }
    pass(
        &mut report,
        "objects",
        format!("{} objects visible", objects.len()),
    );

    // With objects configured, each one's real query (its fields and its data sync filter,
    // one row) runs, so a misspelt field or filter fails here rather than in the first sync
    // or SQL query. Without, one row of Account (or the first object).
    let queries: Vec<Result<SoqlQuery, Error>> = match connection.objects() {
        Some(selected) => {
            let mut queries = Vec::with_capacity(selected.len());
            for object in selected {
                queries.push(
                    session
                        .query_for(&object.name)
                        .await
                        .map(|q| q.limit(Some(1))),
                );
            }
            queries
        }
        None => {
            let target = objects
                .iter()
                .find(|o| o.name == "Account")
                .or_else(|| objects.first())
                .map(|o| o.name.clone());
            let Some(target) = target else {
                pass(&mut report, "query", "no object to query".into());
                return report;
            };
            vec![Ok(SoqlQuery::new(&target).columns(["Id"]).limit(Some(1)))]
        }
    };
    let mut details = Vec::with_capacity(queries.len());
    for query in queries {
        let result = async {
            let query = query?;
            let plan = session
                .plan_with(
                    &query,
                    &PlanOptions {
                        partitions: 1,
                        ..PlanOptions::default()
                    },
                )
                .await?;
            let mut rows = 0;
            let mut stream = plan.stream();
            while let Some(b) = stream.next().await {
                rows += b?.num_rows();
            }
            Ok::<_, Error>((plan.soql().to_string(), rows))
        }
        .await;
        match result {
            Ok((soql, rows)) => details.push(format!(
                "{} `{soql}` returned {rows} row(s)",
                connection.api_type()
            )),
            Err(e) => {
                fail(&mut report, "query", &e);
                return report;
            }
        }
    }
    pass(&mut report, "query", details.join("; "));
    report
}

/// The likely reasons for a failure, in plain words with what to do.
pub fn likely_causes(connection: &Connection, step: &str, error: &Error) -> Vec<String> {
    let mut causes = Vec::new();
    let mut add = |s: &str| causes.push(s.to_string());
    let version = connection.api_version();
    match error {
        Error::Shared(inner) => return likely_causes(connection, step, inner),
        Error::Auth {
            error, description, ..
        } => {
            let d = description.to_ascii_lowercase();
            match error.as_str() {
                "invalid_client_id" | "invalid_client" => add(
                    "Wrong client id or client secret: copy the Consumer Key and Consumer Secret of the External Client App again (Setup > External Client App Manager > the app > OAuth Settings).",
                ),
                "unsupported_grant_type" => add(
                    "The client credentials flow is not enabled on the app: turn on \"Enable Client Credentials Flow\" in the app's OAuth policies.",
                ),
                _ if d.contains("no client credentials user") => add(
                    "The client credentials flow is on but no Run As user is set: choose a Run As (execution) user in the app's OAuth policies, ideally an API-only integration user.",
                ),
                _ if d.contains("not supported on this domain") => add(
                    "domain_url is not the org's My Domain URL: the client credentials flow works only on https://<my-domain>.my.salesforce.com, not on login.salesforce.com or test.salesforce.com.",
                ),
                _ if d.contains("ip restricted") || d.contains("ip") && d.contains("restrict") => {
                    add(
                        "IP restrictions: this machine's IP address is outside the Run As user's login IP ranges (profile) or the app's IP relaxation policy.",
                    )
                }
                _ if d.contains("authentication failure") => {
                    add(
                        "The Run As user is inactive, locked, or its profile's login IP ranges exclude this machine (IP restrictions).",
                    );
                    add(
                        "The client credentials flow is not enabled on the app, or no Run As user is set.",
                    );
                }
                _ if d.contains("inactive") => add("The org or the Run As user is inactive."),
                _ => add(
                    "The token endpoint refused the request; check client_id, client_secret and the app's OAuth policies.",
                ),
            }
        }
        Error::SoapFault { code, message, .. } => match code.as_str() {
            "INVALID_LOGIN" => add(
                "Wrong username, password or security token (append the token to the password, or set security_token), or the user is locked out.",
            ),
            "LOGIN_MUST_USE_SECURITY_TOKEN" => add(
                "IP restrictions: the login comes from an IP outside the trusted ranges; set security_token, or trust this IP. Better: switch to auth_type: oauth.",
            ),
            "INVALID_OPERATION" | "UNSUPPORTED_API_VERSION" => add(
                "Password login is retired or disabled: this org or API version no longer offers SOAP login(). Switch to auth_type: oauth with an External Client App's client credentials.",
            ),
            "INVALID_OPERATION_WITH_EXPIRED_PASSWORD" => add(
                "The user's password has expired: reset it, or better switch to auth_type: oauth.",
            ),
            "API_CURRENTLY_DISABLED" | "API_DISABLED_FOR_ORG" => add(
                "API access is disabled for the user: grant \"API Enabled\" (and \"Use Any API Client\" where the org requires it) through the profile or a permission set.",
            ),
            _ if message.contains("No operation available") && message.contains("login") => add(
                "Password login is retired: SOAP login() does not exist in this API version. Switch to auth_type: oauth.",
            ),
            "INVALID_SESSION_ID" => add(
                "The session was refused right after login: the org may lock sessions to the IP they started from (Session Settings), or the session lacks API access.",
            ),
            _ => add("The SOAP API refused the call; see the message above."),
        },
        Error::Api {
            status,
            error_code,
            message,
            ..
        } => match error_code.as_deref().unwrap_or_default() {
            "API_CURRENTLY_DISABLED" | "API_DISABLED_FOR_ORG" | "INSUFFICIENT_ACCESS" => add(
                "API access is disabled for the user: grant \"API Enabled\" (and \"Use Any API Client\" where the org requires it) to the Run As user through its profile or a permission set.",
            ),
            "GONE" | "UNSUPPORTED_API_VERSION" => add(&format!(
                "API version too old: {version} is retired; set api_version to a current version such as 62.0."
            )),
            "INVALID_SESSION_ID" => {
                add(
                    "The session was refused right after login: the org may lock sessions to the IP they started from (Session Settings > Lock sessions to the IP address from which they originated).",
                );
                add("The app's OAuth scopes lack `api` (Manage user data via APIs).");
            }
            "REQUEST_LIMIT_EXCEEDED" => add(
                "The org's API request limit is used up for now (rolling 24 hours): wait, or ask for a higher limit.",
            ),
            "NOT_FOUND" if step != "token" && step != "query" => add(&format!(
                "API version {version} is not offered by this org (too old, or newer than the org): set api_version to one the org lists at /services/data/."
            )),
            _ if *status == 404 && step == "token" => add(
                "domain_url does not point at a Salesforce org's My Domain (the token endpoint was not found).",
            ),
            _ if *status >= 500 || *status == 420 => add(
                "Salesforce (or a proxy) answered with a server error; it may be in maintenance. Try again later.",
            ),
            _ => add(&format!(
                "The org refused the call ({status}{}): {message}",
                error_code
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default()
            )),
        },
        Error::Http { cause, .. } => {
            let chain = error_chain(cause);
            if chain.contains("certificate")
                || chain.contains("tls")
                || chain.contains("ssl")
                || chain.contains("handshake")
            {
                add(
                    "TLS failure: the server's certificate is not trusted or the TLS handshake failed (a proxy intercepting TLS: set `ca_bundle` to its authority's PEM file; a wrong host in domain_url; an outdated trust store).",
                );
            } else if cause.is_connect() {
                add(
                    "Network: the host cannot be reached (wrong domain_url, DNS, firewall or proxy).",
                );
            } else if cause.is_timeout() {
                add(
                    "Network: the org did not answer in time (firewall dropping packets, proxy, or a very slow link).",
                );
            } else {
                add("Network: the connection failed or broke off.");
            }
        }
        Error::Protocol { context, .. } if context.contains("token") => add(
            "domain_url does not point at a Salesforce org's My Domain (the token endpoint answered something that is not an OAuth response).",
        ),
        Error::Object { .. } => add(
            "The object is not visible to the connecting user: check object permissions of the Run As user's profile and permission sets, or fix the name in the connection file.",
        ),
        Error::Job { .. } => add(
            "The Bulk API query job failed on the org's side; the message above says why. Try api_type: rest for this object.",
        ),
        _ => add("See the error above."),
    }
    causes
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string().to_ascii_lowercase();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(" / ");
        text.push_str(&s.to_string().to_ascii_lowercase());
        source = s.source();
    }
    text
}
