//! Hub settings: where to connect, how to authenticate, what to subscribe to.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{HubProtocol, Secret};

/// Which SignalR dialect a hub speaks.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    /// ASP.NET Core SignalR.
    Core,
    /// Classic ASP.NET SignalR 2.x.
    Classic,
}

/// What a hub's messages mean.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// Any hub: every invocation becomes a generic invocation event.
    Generic,
    /// The RedMist timing and scoring StatusHub.
    Redmist,
    /// Microsoft HPC Pack 2016 job and task events (classic dialect).
    HpcPack,
}

/// One hub connection.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// A short unique name, used in metrics, logs, subjects and topics.
    pub name: String,
    /// The hub URL (http/https; ws/wss is derived). A password in it, or a secret-looking query
    /// parameter (`access_token`, `key`, `sig`, ...), prints as `<redacted>`.
    #[serde(serialize_with = "serialize_shown_url")]
    pub url: url::Url,
    /// `core` (ASP.NET Core SignalR) or `classic` (ASP.NET SignalR 2.x).
    #[serde(default = "default_dialect")]
    pub dialect: Dialect,
    /// Hub protocol for the Core dialect: `json` (default) or `messagepack`. Both give the
    /// same events.
    #[serde(default)]
    pub protocol: HubProtocol,
    /// Connect the WebSocket directly without `/negotiate` (RedMist requires this).
    #[serde(default)]
    pub skip_negotiation: bool,
    /// ASP.NET Core stateful reconnect (.NET 8+ servers that allow it; Azure SignalR): after
    /// a dropped WebSocket the same connection is resumed and both sides replay what the other
    /// did not acknowledge, so nothing is lost or published twice and no gap is counted. Needs
    /// negotiation; a server that does not agree gives a plain connection.
    #[serde(default)]
    pub stateful_reconnect: bool,
    /// CloudEvents `source` for this hub's events; defaults to the URL without query.
    #[serde(default)]
    pub source: Option<String>,
    /// `generic`, `redmist` or `hpc_pack`.
    #[serde(default = "default_profile")]
    pub profile: ProfileKind,
    /// Server methods to invoke after every connect (any profile).
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionConfig>,
    /// RedMist subscriptions and snapshot endpoint (profile `redmist`).
    #[serde(default)]
    pub redmist: Option<RedMistConfig>,
    /// HPC Pack jobs to follow (profile `hpc_pack`).
    #[serde(default)]
    pub hpc_pack: Option<HpcPackConfig>,
    /// Find what to subscribe to by polling the hub's REST API (profiles `hpc_pack`, `redmist`).
    #[serde(default)]
    pub discovery: Option<super::DiscoveryConfig>,
    /// Credentials sent on negotiate and on the WebSocket upgrade.
    #[serde(default)]
    pub auth: AuthConfig,
    /// TLS settings for https/wss.
    #[serde(default)]
    pub tls: TlsConfig,
    /// Send a Ping after this many seconds without sending anything.
    #[serde(default = "default_keepalive")]
    pub keepalive_interval_secs: u64,
    /// Close and reconnect when nothing at all was received for this many seconds.
    #[serde(default = "default_server_timeout")]
    pub server_timeout_secs: u64,
    /// Give up on negotiate, upgrade and handshake after this many seconds.
    #[serde(default = "default_handshake_timeout")]
    pub handshake_timeout_secs: u64,
    /// Reconnect backoff.
    #[serde(default)]
    pub reconnect: ReconnectConfig,
}

/// One server method invoked after every connect.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionConfig {
    /// The classic hub the method belongs to (classic dialect only, e.g. `JobEventHub`).
    #[serde(default)]
    pub hub: Option<String>,
    /// The server method name, exactly as the server declares it.
    pub method: String,
    /// Its arguments; give every parameter, optional ones as `null` (SignalR applies no defaults).
    #[serde(default)]
    pub arguments: Vec<serde_json::Value>,
}

/// RedMist subscriptions.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RedMistConfig {
    /// Event ids to follow with `SubscribeToEventV2`.
    #[serde(default)]
    pub event_ids: Vec<i64>,
    /// Also `SubscribeToControlLogs` for each event.
    #[serde(default)]
    pub control_logs: bool,
    /// Car numbers for `SubscribeToCarControlLogs` in each event.
    #[serde(default)]
    pub car_control_logs: Vec<String>,
    /// Car numbers for `SubscribeToInCarDriverEventV2` in each event.
    #[serde(default)]
    pub in_car: Vec<String>,
    /// Access code for private events; sent as `null` when absent.
    #[serde(default)]
    pub access_code: Option<Secret>,
    /// REST snapshot endpoint; `eventId=<id>` is appended. Defaults to
    /// `<hub origin>/status/v2/Events/GetCurrentSessionStateJson`.
    #[serde(default)]
    pub snapshot_url: Option<url::Url>,
}

/// HPC Pack event subscriptions.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HpcPackConfig {
    /// Job ids to follow: `BeginListen(jobId)` is invoked on every listed hub for each.
    #[serde(default)]
    pub job_ids: Vec<i64>,
    /// Hubs to connect to. Classic hubs are fixed per connection, so both are on by default.
    #[serde(default = "default_hpc_hubs")]
    pub hubs: Vec<HpcHub>,
    /// Seconds a job stays listened to (and reconciled over REST after a new connection) once
    /// it reached Finished, Failed or Canceled; a requeue seen before then keeps it listened.
    #[serde(default = "default_stop_listening_after_terminal")]
    pub stop_listening_after_terminal_secs: u64,
}

/// An HPC Pack event hub.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
pub enum HpcHub {
    /// `JobStateChange(id, state, previousState)`.
    JobEventHub,
    /// `TaskStateChange(id, taskId, instanceId, state, previousState)`.
    TaskEventHub,
}

impl HpcHub {
    /// The hub name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HpcHub::JobEventHub => "JobEventHub",
            HpcHub::TaskEventHub => "TaskEventHub",
        }
    }
}

/// How the bearer token travels.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenPlacement {
    /// `Authorization: Bearer` header (preferred: query strings end up in proxy logs).
    #[default]
    Header,
    /// `access_token` query parameter on the WebSocket URL.
    Query,
    /// Both.
    Both,
}

/// Credentials.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// A fixed bearer token.
    #[serde(default)]
    pub bearer_token: Option<Secret>,
    /// A file holding the bearer token, re-read on every connect (for rotated tokens).
    #[serde(default)]
    pub bearer_token_file: Option<PathBuf>,
    /// Where the bearer token is sent.
    #[serde(default)]
    pub token_placement: TokenPlacement,
    /// HTTP Basic user name (HPC Pack); sent on every request, the WebSocket upgrade included.
    #[serde(default)]
    pub username: Option<String>,
    /// HTTP Basic password.
    #[serde(default)]
    pub password: Option<Secret>,
    /// A file holding the HTTP Basic password, re-read on every connect.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// OAuth2 client credentials: a new token for every connect, sent as the bearer token.
    #[serde(default)]
    pub oauth2: Option<super::OAuth2Config>,
}

/// TLS for https/wss.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// A PEM file of extra CA certificates to trust beside the built-in roots (for a head node
    /// with a self-signed or private-CA certificate: prefer this over skipping verification).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate. Off by default; a warning is logged at start when on.
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

/// Capped exponential backoff with jitter between connection attempts.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReconnectConfig {
    /// Delay before the first retry.
    #[serde(default = "default_initial_delay_ms")]
    pub initial_delay_ms: u64,
    /// The delay never grows past this.
    #[serde(default = "default_max_delay_ms")]
    pub max_delay_ms: u64,
    /// Each failed attempt multiplies the delay by this.
    #[serde(default = "default_multiplier")]
    pub multiplier: f64,
    /// Random spread as a fraction of the delay (0.2 = ±20%).
    #[serde(default = "default_jitter")]
    pub jitter: f64,
}

impl ReconnectConfig {
    /// The retry schedule these settings describe.
    pub fn schedule(&self) -> signalr_proto::backoff::Schedule {
        signalr_proto::backoff::Schedule {
            initial_delay_ms: self.initial_delay_ms,
            max_delay_ms: self.max_delay_ms,
            multiplier: self.multiplier,
            jitter: self.jitter,
        }
    }
}

impl Default for ReconnectConfig {
    fn default() -> Self {
        ReconnectConfig {
            initial_delay_ms: default_initial_delay_ms(),
            max_delay_ms: default_max_delay_ms(),
            multiplier: default_multiplier(),
            jitter: default_jitter(),
        }
    }
}

fn default_dialect() -> Dialect {
    Dialect::Core
}
fn default_profile() -> ProfileKind {
    ProfileKind::Generic
}
fn default_hpc_hubs() -> Vec<HpcHub> {
    vec![HpcHub::JobEventHub, HpcHub::TaskEventHub]
}
fn default_stop_listening_after_terminal() -> u64 {
    300
}
fn default_keepalive() -> u64 {
    15
}
fn default_server_timeout() -> u64 {
    30
}
fn default_handshake_timeout() -> u64 {
    15
}
fn default_initial_delay_ms() -> u64 {
    500
}
fn default_max_delay_ms() -> u64 {
    30_000
}
fn default_multiplier() -> f64 {
    2.0
}
fn default_jitter() -> f64 {
    0.2
}

/// Whether a query parameter's value is a credential.
fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "key", "secret", "password", "sig", "code", "auth"].iter().any(|s| name.contains(s))
}

/// `url` as `check-config` and `/status` may show it: no password, no secret query values.
pub fn shown_url(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("<redacted>"));
    }
    if shown.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_param(&k) { "<redacted>".into() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

fn serialize_shown_url<S: serde::Serializer>(url: &url::Url, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&shown_url(url))
}
