//! Who may call the org: connected apps, users, their profiles, and live sessions.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// What a user may see: objects, fields, and whether the API is open to them at all.
///
/// Describe and query both follow the profile: hidden objects are missing from describeGlobal
/// and answer `INVALID_TYPE` (REST) / `NOT_FOUND` (describe); hidden fields are missing from
/// describe and answer `INVALID_FIELD` in queries.
#[derive(Clone, Debug)]
pub struct Profile {
    name: String,
    api_enabled: bool,
    objects: Option<BTreeSet<String>>,
    hidden_fields: BTreeSet<(String, String)>,
    ip_restricted: bool,
}

impl Profile {
    /// Sees everything; the profile of the default run-as user.
    pub fn system_administrator() -> Self {
        Profile::new("System Administrator")
    }

    /// A profile named `name` that sees every object and field until restricted.
    pub fn new(name: impl Into<String>) -> Self {
        Profile {
            name: name.into(),
            api_enabled: true,
            objects: None,
            hidden_fields: BTreeSet::new(),
            ip_restricted: false,
        }
    }

    /// Only these objects are visible (by API name, case-insensitive).
    pub fn with_objects<I, S>(mut self, objects: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.objects = Some(
            objects
                .into_iter()
                .map(|o| o.as_ref().to_ascii_lowercase())
                .collect(),
        );
        self
    }

    /// Field-level security: `object.field` is invisible to this profile.
    pub fn hide_field(mut self, object: &str, field: &str) -> Self {
        self.hidden_fields
            .insert((object.to_ascii_lowercase(), field.to_ascii_lowercase()));
        self
    }

    /// Takes away "API Enabled": every API call answers `API_CURRENTLY_DISABLED`.
    pub fn without_api_access(mut self) -> Self {
        self.api_enabled = false;
        self
    }

    /// Login IP ranges that exclude the caller: token requests answer `invalid_grant` /
    /// `ip restricted`, SOAP `login()` answers `LOGIN_MUST_USE_SECURITY_TOKEN`.
    pub fn ip_restricted(mut self) -> Self {
        self.ip_restricted = true;
        self
    }

    /// Whether the caller's IP is outside the profile's login IP ranges.
    pub fn is_ip_restricted(&self) -> bool {
        self.ip_restricted
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether "API Enabled" is on.
    pub fn api_enabled(&self) -> bool {
        self.api_enabled
    }

    pub(crate) fn can_see_object(&self, object: &str) -> bool {
        self.objects
            .as_ref()
            .is_none_or(|set| set.contains(&object.to_ascii_lowercase()))
    }

    pub(crate) fn can_see_field(&self, object: &str, field: &str) -> bool {
        !self
            .hidden_fields
            .contains(&(object.to_ascii_lowercase(), field.to_ascii_lowercase()))
    }
}

/// A user that can log in (run-as user of an app, or a username/password user).
#[derive(Clone, Debug)]
pub(crate) struct UserAccount {
    pub username: String,
    pub password: String,
    pub profile: Profile,
}

/// A connected app's credentials and its Run As user (index into `users`).
#[derive(Clone, Debug)]
pub(crate) struct ClientApp {
    pub client_id: String,
    pub client_secret: String,
    /// `None`: client credentials flow without a Run As user.
    pub run_as: Option<usize>,
}

/// A live access token.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub user: usize,
    pub expires_at: Instant,
}

/// Users, apps, sessions and refresh tokens.
#[derive(Debug)]
pub(crate) struct AuthState {
    pub users: Vec<UserAccount>,
    pub apps: Vec<ClientApp>,
    pub sessions: HashMap<String, Session>,
    pub refresh_tokens: HashMap<String, usize>,
    pub ttl: Duration,
    pub soap_login_enabled: bool,
    /// The org answers as `login.salesforce.com` rather than as a My Domain.
    pub login_host: bool,
    counter: u64,
    org_id: String,
}

impl AuthState {
    pub(crate) fn new(
        users: Vec<UserAccount>,
        apps: Vec<ClientApp>,
        ttl: Duration,
        org_id: String,
    ) -> Self {
        AuthState {
            users,
            apps,
            sessions: HashMap::new(),
            refresh_tokens: HashMap::new(),
            ttl,
            soap_login_enabled: true,
            login_host: false,
            counter: 0,
            org_id,
        }
    }

    /// A fresh opaque token shaped like Salesforce's: `{orgId}!{random}`.
    fn mint(&mut self, len: usize) -> String {
        self.counter += 1;
        let mut x = self.counter
            ^ (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0));
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
        let body: String = (0..len)
            .map(|_| {
                x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                ALPHABET[((z ^ (z >> 31)) % ALPHABET.len() as u64) as usize] as char
            })
            .collect();
        format!("{}!{body}", &self.org_id[..15])
    }

    /// Opens a session for `user`; returns the access token.
    pub(crate) fn open_session(&mut self, user: usize) -> String {
        let token = self.mint(96);
        let expires_at = Instant::now() + self.ttl;
        self.sessions
            .insert(token.clone(), Session { user, expires_at });
        token
    }

    /// A refresh token for `user` (the emulator's stand-in for the web-server flow).
    pub(crate) fn issue_refresh_token(&mut self, user: usize) -> String {
        let token = format!("5Aep861{}", self.mint(80).split('!').nth(1).unwrap_or(""));
        self.refresh_tokens.insert(token.clone(), user);
        token
    }

    /// The user of a live token.
    pub(crate) fn session_user(&self, token: &str) -> Option<usize> {
        self.sessions
            .get(token)
            .filter(|s| s.expires_at > Instant::now())
            .map(|s| s.user)
    }

    pub(crate) fn expire_all(&mut self) {
        self.sessions.clear();
    }

    pub(crate) fn user_by_login(&self, username: &str, password: &str) -> Option<usize> {
        self.users
            .iter()
            .position(|u| u.username.eq_ignore_ascii_case(username) && u.password == password)
    }
}
