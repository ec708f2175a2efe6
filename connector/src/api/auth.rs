//! The API client's credential provider: OAuth 2.0 client credentials (the `oauth2` crate,
//! driven by our own reqwest client) and the legacy SOAP `login()`. Both requests are
//! built here; the client asks for a token at connect and again when a session expires.

use std::time::Duration;

use oauth2::basic::{BasicErrorResponse, BasicTokenType};
use oauth2::{
    AuthType as OAuthClientAuth, ClientId, ClientSecret, EmptyExtraTokenFields, ExtraTokenFields,
    RequestTokenError, StandardTokenResponse, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{ApiSettings, ApiVersion, Attempt, Credentials, RetryConfig, soap};
use crate::error::{Error, Result};

/// A session token and where to use it.
#[derive(Clone)]
pub(crate) struct Token {
    pub access_token: SecretString,
    pub instance_url: Url,
    /// Identity URL (`https://host/id/{orgId}/{userId}`), when the flow gives one.
    pub identity_url: Option<String>,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &"[REDACTED]")
            .field("instance_url", &self.instance_url.as_str())
            .field("org_id", &self.org_id)
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// Salesforce's extra token-response fields.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct SalesforceFields {
    #[serde(default)]
    instance_url: Option<String>,
    #[serde(default)]
    id: Option<String>,
}
impl ExtraTokenFields for SalesforceFields {}

type SfTokenResponse = StandardTokenResponse<SalesforceFields, BasicTokenType>;
#[allow(dead_code)]
type Unused = EmptyExtraTokenFields;

/// Gets tokens for one connection; called once at connect and again when a session expires.
#[derive(Debug, Clone)]
pub(crate) struct Authenticator {
    http: reqwest::Client,
    credentials: Credentials,
    domain_url: Url,
    version: ApiVersion,
    retry: RetryConfig,
}

/// Transport failures of the token call, as the `oauth2` crate's HTTP client error.
#[derive(Debug, thiserror::Error)]
enum TokenHttpError {
    #[error("{0}")]
    Transport(reqwest::Error),
    #[error("HTTP {status}: {body}")]
    Server { status: u16, body: String },
    #[error("{0}")]
    Build(String),
}

/// Not `#[from]`: the message is the transport error's own, so it is not also a `source()`.
impl From<reqwest::Error> for TokenHttpError {
    fn from(e: reqwest::Error) -> Self {
        TokenHttpError::Transport(e)
    }
}

impl Authenticator {
    pub(super) fn new(http: reqwest::Client, settings: &ApiSettings) -> Self {
        Authenticator {
            http,
            credentials: settings.credentials.clone(),
            domain_url: settings.domain_url.clone(),
            version: settings.version,
            retry: settings.http.retry.clone(),
        }
    }

    /// A fresh token (retrying network errors and 5xx by the retry policy; OAuth and login
    /// errors are final).
    pub(super) async fn token(&self) -> Result<Token> {
        self.retry
            .run("token request", || async {
                let result = match &self.credentials {
                    Credentials::ClientCredentials {
                        client_id,
                        client_secret,
                    } => self.client_credentials(client_id, client_secret).await,
                    Credentials::Password {
                        username,
                        password,
                        security_token,
                        service_url,
                    } => {
                        self.soap_login(username, password, security_token.as_ref(), service_url)
                            .await
                    }
                };
                match result {
                    Ok(token) => Attempt::Done(token),
                    Err(e @ Error::SoapFault { .. }) => Attempt::Final(e),
                    Err(e) => Attempt::Failed(e),
                }
            })
            .await
    }

    async fn client_credentials(&self, client_id: &str, secret: &SecretString) -> Result<Token> {
        let token_url = self
            .domain_url
            .join("/services/oauth2/token")
            .map_err(|e| Error::protocol_from("token URL", "", e))?;
        let client = oauth2::Client::<
            BasicErrorResponse,
            SfTokenResponse,
            oauth2::basic::BasicTokenIntrospectionResponse,
            oauth2::StandardRevocableToken,
            oauth2::basic::BasicRevocationErrorResponse,
        >::new(ClientId::new(client_id.to_string()))
        .set_client_secret(ClientSecret::new(secret.expose_secret().to_string()))
        // Salesforce documents the credentials in the form body.
        .set_auth_type(OAuthClientAuth::RequestBody)
        .set_token_uri(TokenUrl::from_url(token_url));
        let http = self.http.clone();
        let send = move |req: oauth2::HttpRequest| {
            let http = http.clone();
            async move {
                let (parts, body) = req.into_parts();
                let resp = http
                    .request(parts.method, parts.uri.to_string())
                    .headers(parts.headers)
                    .body(body)
                    .timeout(Duration::from_secs(60))
                    .send()
                    .await?;
                let status = resp.status();
                let headers = resp.headers().clone();
                let bytes = resp.bytes().await?;
                // 5xx, the edge's 420, 429 and REQUEST_LIMIT_EXCEEDED are not OAuth answers:
                // they are classified like the same answers of any other call (retried by
                // the policy), and an HTML page is never handed to the OAuth JSON parser.
                let body = String::from_utf8_lossy(&bytes);
                let limit = status.as_u16() == 403 && body.contains("REQUEST_LIMIT_EXCEEDED");
                if status.is_server_error()
                    || matches!(status.as_u16(), 420 | 429)
                    || limit
                    || looks_like_html(&body)
                {
                    return Err(TokenHttpError::Server {
                        status: status.as_u16(),
                        body: body.chars().take(400).collect(),
                    });
                }
                let mut builder = oauth2::http::Response::builder().status(status);
                for (k, v) in &headers {
                    builder = builder.header(k, v);
                }
                builder
                    .body(bytes.to_vec())
                    .map_err(|e| TokenHttpError::Build(e.to_string()))
            }
        };
        let response = client
            .exchange_client_credentials()
            .request_async(&send)
            .await;
        let response = match response {
            Ok(r) => r,
            Err(RequestTokenError::ServerResponse(e)) => {
                return Err(Error::Auth {
                    error: e.error().to_string(),
                    description: e.error_description().cloned().unwrap_or_default(),
                    status: Some(400),
                });
            }
            Err(RequestTokenError::Request(TokenHttpError::Transport(e))) => {
                return Err(Error::http("OAuth token request", e));
            }
            Err(RequestTokenError::Request(TokenHttpError::Server { status, body })) => {
                let (error_code, message) = if body.contains("REQUEST_LIMIT_EXCEEDED") {
                    (Some("REQUEST_LIMIT_EXCEEDED".to_owned()), body)
                } else if looks_like_html(&body) {
                    (
                        None,
                        format!(
                            "the token endpoint answered HTTP {status} with a web page, not OAuth JSON (the org's edge during maintenance, or domain_url is not the org's My Domain)"
                        ),
                    )
                } else {
                    (None, body)
                };
                return Err(Error::Api {
                    context: "OAuth token request".into(),
                    status,
                    error_code,
                    message,
                    fields: vec![],
                });
            }
            Err(RequestTokenError::Request(TokenHttpError::Build(m))) => {
                return Err(Error::protocol("OAuth token request", m));
            }
            Err(RequestTokenError::Parse(e, body)) => {
                let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
                return Err(Error::protocol(
                    "OAuth token response",
                    format!("{e}: {text}"),
                ));
            }
            Err(RequestTokenError::Other(m)) => {
                return Err(Error::protocol("OAuth token response", m));
            }
        };
        let extra = response.extra_fields();
        let instance = extra
            .instance_url
            .as_deref()
            .map(Url::parse)
            .transpose()
            .map_err(|e| Error::protocol_from("OAuth token response", "bad instance_url", e))?
            .unwrap_or_else(|| self.domain_url.clone());
        let (org_id, user_id) = ids_from_identity(extra.id.as_deref());
        Ok(Token {
            access_token: SecretString::from(response.access_token().secret().to_string()),
            instance_url: instance,
            identity_url: extra.id.clone(),
            org_id,
            user_id,
        })
    }

    async fn soap_login(
        &self,
        username: &str,
        password: &SecretString,
        token: Option<&SecretString>,
        service_url: &Url,
    ) -> Result<Token> {
        // The deprecation is said once per run, by the connection's warnings (validation).
        tracing::debug!("SOAP login() for auth_type `password`");
        let url = service_url
            .join(&format!("/services/Soap/u/{}", self.version))
            .map_err(|e| Error::protocol_from("SOAP login URL", "", e))?;
        let mut secret = password.expose_secret().to_string();
        if let Some(t) = token {
            secret.push_str(t.expose_secret());
        }
        let envelope = SecretString::from(soap::login_envelope(username, &secret));
        drop(secret);
        let resp = self
            .http
            .post(url)
            .header("Content-Type", "text/xml; charset=UTF-8")
            .header("SOAPAction", "login")
            .body(envelope.expose_secret().to_string())
            .send()
            .await
            .map_err(|e| Error::http("SOAP login", e))?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Error::http("SOAP login", e))?;
        if status != 200 {
            return Err(super::errors::parse_error("SOAP login", status, &body));
        }
        let r = soap::parse_login(&body)?;
        let server = Url::parse(&r.server_url)
            .map_err(|e| Error::protocol_from("SOAP login", "bad serverUrl", e))?;
        let mut instance = server.clone();
        instance.set_path("/");
        instance.set_query(None);
        Ok(Token {
            access_token: SecretString::from(r.session_id),
            instance_url: instance,
            identity_url: None,
            org_id: r.org_id,
            user_id: r.user_id,
        })
    }
}

/// `https://host/id/{orgId}/{userId}` → (org, user).
fn ids_from_identity(id: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(id) = id else { return (None, None) };
    let mut parts = id.trim_end_matches('/').rsplit('/');
    let user = parts.next().map(str::to_string);
    let org = parts.next().map(str::to_string);
    (org, user)
}

/// An HTML page (an edge or proxy error page) rather than JSON.
fn looks_like_html(body: &str) -> bool {
    let start: String = body.trim_start().chars().take(300).collect();
    let start = start.to_ascii_lowercase();
    start.starts_with("<!doctype") || start.contains("<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_url_gives_org_and_user() {
        let (o, u) = ids_from_identity(Some(
            "https://acme.my.salesforce.com/id/00D5g000004XXXXEAA/0055g00000ABCDEAA4",
        ));
        assert_eq!(o.as_deref(), Some("00D5g000004XXXXEAA"));
        assert_eq!(u.as_deref(), Some("0055g00000ABCDEAA4"));
    }

    #[test]
    fn token_debug_hides_the_secret() {
        let t = Token {
            access_token: SecretString::from("00D!SECRETVALUE"),
            instance_url: Url::parse("https://x.my.salesforce.com").unwrap(),
            identity_url: None,
            org_id: None,
            user_id: None,
        };
        assert!(!format!("{t:?}").contains("SECRETVALUE"));
    }
}
