//! signalr-bridge: SignalR hubs in, versioned CloudEvents out to NATS, Kafka, files or stdout.
//!
//! The data path, one line per module:
//! - [`signalr`]: one task per hub: connect, subscribe, read, decode frames (pure), reconnect.
//! - [`profile`]: what a hub's invocations mean; turns each into [`event::Event`]s (pure).
//! - [`event`]: the CloudEvents 1.0 envelope and id derivation.
//! - [`sink`]: the publisher loop over one bounded queue, and the brokers it writes to.
//! - [`queue`]: the one bounded queue between hubs and publisher, spilling to the [`spool`].
//! - [`spool`]: the disk log that takes what the in-memory queue cannot hold.
//! - [`subs`]: runtime subscriptions per hub (admin API, discovery) and their state file;
//!   [`discovery`]: the REST polls that find what to subscribe to.
//! - [`progress`]: long operations (spool replay, discovery's first scan) and how far they got.
//! - [`admin`]: /livez, /readyz, /metrics, /status, and the subscriptions API.
//! - [`app`]: wiring and ordered shutdown.
//! - [`config`], [`telemetry`], [`status`]: settings, logs and metrics, shared state.
//! - [`tail`]: `signalr-bridge tail`, one hub watched live in the terminal (a printer in the
//!   publisher's place).
#![forbid(unsafe_code)]

pub mod admin;
pub mod app;
pub mod config;
pub mod discovery;
pub mod event;
pub mod profile;
pub mod progress;
pub mod queue;
pub mod signalr;
pub mod sink;
pub mod spool;
pub mod status;
pub mod subs;
pub mod tail;
pub mod telemetry;
