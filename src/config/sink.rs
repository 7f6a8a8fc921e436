//! Sink settings: stdout, JSON-lines file, NATS (core or JetStream), Kafka (in `kafka.rs`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{KafkaSinkConfig, Secret};

/// Where events go.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    /// `stdout`, `file`, `nats` or `kafka`.
    pub kind: SinkKind,
    /// JSON-lines file sink settings (kind `file`).
    #[serde(default)]
    pub file: Option<FileSinkConfig>,
    /// NATS sink settings (kind `nats`).
    #[serde(default)]
    pub nats: Option<NatsSinkConfig>,
    /// Kafka sink settings (kind `kafka`).
    #[serde(default)]
    pub kafka: Option<KafkaSinkConfig>,
    /// Events published concurrently before waiting for acknowledgements.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
}

/// The sink kinds.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    Stdout,
    File,
    Nats,
    Kafka,
}

/// JSON-lines file sink.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileSinkConfig {
    /// The file to append to (created if missing).
    pub path: PathBuf,
    /// fsync after each batch, so an event counts as delivered only once on disk.
    #[serde(default)]
    pub fsync: bool,
}

/// Core NATS or JetStream.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum NatsMode {
    /// Core NATS: delivered once the server answered a flush.
    Core,
    /// JetStream: delivered once the stream's PubAck arrived; `Nats-Msg-Id` = event id.
    #[default]
    Jetstream,
}

/// NATS sink.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NatsSinkConfig {
    /// Server URL(s), comma-separated. Credentials in a URL (`nats://user:pass@host`) work, but
    /// print as `<redacted>`; prefer `user` and `password`.
    #[serde(default = "default_nats_url", serialize_with = "serialize_shown_urls")]
    pub url: String,
    /// `core` or `jetstream`.
    #[serde(default)]
    pub mode: NatsMode,
    /// Subject template; placeholders `{hub}`, `{type}` (dots kept), `{key}` (dots and
    /// slashes become `_`). Example: `signalr.{hub}.{type}`.
    #[serde(default = "default_subject_template")]
    pub subject_template: String,
    /// Create or update this stream at start (JetStream only).
    #[serde(default)]
    pub stream: Option<NatsStreamConfig>,
    /// User name for NATS auth.
    #[serde(default)]
    pub user: Option<String>,
    /// Password for NATS auth.
    #[serde(default)]
    pub password: Option<Secret>,
    /// Token for NATS auth.
    #[serde(default)]
    pub token: Option<Secret>,
    /// A `.creds` file for NATS auth.
    #[serde(default)]
    pub credentials_file: Option<PathBuf>,
    /// How long to wait for a JetStream PubAck before publishing again (same `Nats-Msg-Id`).
    #[serde(default = "default_ack_timeout")]
    pub ack_timeout_secs: u64,
    /// JetStream: keep per-key order across reconnects by naming each event's predecessor in
    /// `Nats-Expected-Last-Msg-Id`, so the stream refuses an event that would overtake one lost
    /// with a dead connection (the window is then re-sent in order). Needs the bridge to be the
    /// stream's only publisher: set `false` when several publishers share a stream, and order
    /// across a broker reconnect is then best effort.
    #[serde(default = "default_true")]
    pub ordered: bool,
}

fn default_true() -> bool {
    true
}

/// A JetStream stream the bridge creates if missing.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NatsStreamConfig {
    /// Stream name.
    pub name: String,
    /// Subjects the stream captures; must cover the subject template.
    pub subjects: Vec<String>,
    /// Duplicate-detection window for `Nats-Msg-Id`; with `queue.spool`, at least its
    /// `max_outage_secs`.
    #[serde(default = "default_duplicate_window")]
    pub duplicate_window_secs: u64,
    /// Keep at most this many bytes (0 = unlimited).
    #[serde(default)]
    pub max_bytes: i64,
}

fn default_max_in_flight() -> usize {
    1024
}
fn default_nats_url() -> String {
    "nats://127.0.0.1:4222".into()
}
fn default_ack_timeout() -> u64 {
    5
}
fn default_duplicate_window() -> u64 {
    120
}

impl Default for NatsSinkConfig {
    fn default() -> Self {
        NatsSinkConfig {
            url: default_nats_url(),
            mode: NatsMode::default(),
            subject_template: default_subject_template(),
            stream: None,
            user: None,
            password: None,
            token: None,
            credentials_file: None,
            ack_timeout_secs: default_ack_timeout(),
            ordered: true,
        }
    }
}

fn default_subject_template() -> String {
    "signalr.{hub}.{type}".into()
}

/// Server URLs as logs and `check-config` may show them: `nats://user:pass@host` becomes
/// `nats://<redacted>@host`.
pub fn shown_urls(urls: &str) -> String {
    let one = |s: &str| {
        let start = s.find("://").map_or(0, |i| i + 3);
        match s[start..].rfind('@') {
            Some(at) => format!("{}<redacted>@{}", &s[..start], &s[start + at + 1..]),
            None => s.to_string(),
        }
    };
    urls.split(',').map(|s| one(s.trim())).collect::<Vec<_>>().join(",")
}

fn serialize_shown_urls<S: serde::Serializer>(urls: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&shown_urls(urls))
}
