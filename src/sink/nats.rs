//! The NATS sink: connecting (auth, bounded timeout, connection-state tracking), ensuring the
//! configured JetStream stream and the PubAck subscription, and committing core-NATS batches.
//! The JetStream in-flight window lives in `jetstream/`; the loop that drives both lives in
//! `publisher.rs`.

use std::sync::Arc;
use std::time::Duration;

use async_nats::client::PublishErrorKind;
use async_nats::jetstream::context::{GetStreamError, GetStreamErrorKind};
use async_nats::jetstream::stream::Config as StreamConfig;
use async_nats::jetstream::{self, ErrorCode};
use async_nats::{Client, ConnectOptions, Event as NatsEvent};
use bytes::Bytes;
use tracing::{error, info, warn};

use super::jetstream::AckInbox;
use super::link::Link;
use super::publisher::Failure;
use super::{route, SinkError};
use crate::config::{NatsMode, NatsSinkConfig, NatsStreamConfig};
use crate::event::Event;

/// How long the first connection may take before start-up fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Core NATS or JetStream (with the subscription its PubAcks arrive on).
pub enum NatsPublisher {
    Core,
    JetStream(Box<AckInbox>),
}

/// A connected NATS sink.
pub struct NatsSink {
    pub(super) client: Client,
    pub(super) publisher: NatsPublisher,
    pub(super) template: String,
    pub(super) ack_timeout: Duration,
    pub(super) link: Arc<Link>,
    /// JetStream: chain each publish to its predecessor (`Nats-Expected-Last-Msg-Id`).
    pub(super) ordered: bool,
}

/// Connects, checks the subject template, and ensures the stream (JetStream mode).
pub async fn connect(config: &NatsSinkConfig) -> Result<NatsSink, SinkError> {
    route::validate_template(&config.subject_template).map_err(SinkError::Config)?;
    let link = Arc::new(Link::default());
    let servers: Vec<&str> =
        config.url.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    // What logs and errors show: credentials in a server URL are replaced.
    let url = crate::config::shown_urls(&config.url);
    let options = options(config, link.clone()).await?;
    let client = tokio::time::timeout(CONNECT_TIMEOUT, options.connect(servers))
        .await
        .map_err(|_| {
            SinkError::Connect(format!("NATS at {url}: no connection within {CONNECT_TIMEOUT:?}"))
        })?
        .map_err(|e| connect_error(&url, &e))?;
    link.set_connected(true);
    info!(%url, mode = ?config.mode, "Connected to NATS.");
    let ack_timeout = Duration::from_secs(config.ack_timeout_secs.max(1));
    let publisher = match config.mode {
        NatsMode::Core => NatsPublisher::Core,
        NatsMode::Jetstream => {
            if let Some(stream) = &config.stream {
                let js =
                    jetstream::ContextBuilder::new().timeout(ack_timeout).build(client.clone());
                ensure_stream(&js, stream).await?;
            }
            let inbox = AckInbox::open(&client).await.map_err(|e| {
                SinkError::Connect(format!("NATS at {url}: cannot subscribe for PubAcks: {e}"))
            })?;
            NatsPublisher::JetStream(Box::new(inbox))
        }
    };
    let template = config.subject_template.clone();
    let ordered = config.ordered;
    Ok(NatsSink { client, publisher, template, ack_timeout, link, ordered })
}

/// Connect options: auth from config and the connection-state callback.
pub(super) async fn options(
    config: &NatsSinkConfig,
    link: Arc<Link>,
) -> Result<ConnectOptions, SinkError> {
    let mut options = ConnectOptions::new()
        .name("signalr-bridge")
        .connection_timeout(CONNECT_TIMEOUT)
        .event_callback(move |event| {
            let link = link.clone();
            async move { on_event(&link, event) }
        });
    if let Some(path) = &config.credentials_file {
        options = options.credentials_file(path).await.map_err(|e| {
            SinkError::Config(format!("NATS credentials file {}: {e}", path.display()))
        })?;
    }
    if let Some(token) = &config.token {
        options = options.token(token.expose().to_owned());
    }
    if let Some(user) = &config.user {
        let password = config.password.as_ref().map(|p| p.expose().to_owned());
        options = options.user_and_password(user.clone(), password.unwrap_or_default());
    }
    Ok(options)
}

fn on_event(link: &Link, event: NatsEvent) {
    match event {
        NatsEvent::Connected => {
            info!("NATS connection is up.");
            link.set_connected(true);
        }
        NatsEvent::Disconnected => {
            warn!("NATS connection lost; reconnecting.");
            link.set_connected(false);
        }
        NatsEvent::Closed => {
            link.set_connected(false);
        }
        other => warn!(event = %other, "NATS client event."),
    }
}

/// Creates the stream if missing, or brings its subjects in line with the config.
async fn ensure_stream(
    js: &jetstream::Context,
    wanted: &NatsStreamConfig,
) -> Result<(), SinkError> {
    let name = wanted.name.as_str();
    use async_nats::jetstream::context::CreateStreamErrorKind as Create;
    let refused = |e: &async_nats::jetstream::context::CreateStreamError| {
        let code = match e.kind() {
            Create::JetStream(api) => Some(api.error_code()),
            _ => None,
        };
        stream_error(name, e, code)
    };
    match js.get_stream(name).await {
        Ok(stream) => {
            let mut config = stream.cached_info().config.clone();
            let wanted_window = Duration::from_secs(wanted.duplicate_window_secs);
            if let Some(warning) =
                super::probe::window_warning(name, config.duplicate_window, wanted_window)
            {
                warn!(stream = name, "{warning}");
            }
            if config.subjects == wanted.subjects {
                info!(stream = name, "JetStream stream exists with the configured subjects.");
                return Ok(());
            }
            config.subjects = wanted.subjects.clone();
            js.update_stream(config).await.map_err(|e| refused(&e))?;
            info!(stream = name, subjects = ?wanted.subjects, "Updated JetStream stream subjects.");
        }
        Err(e) if is_not_found(&e) => {
            let config = StreamConfig {
                name: name.to_owned(),
                subjects: wanted.subjects.clone(),
                duplicate_window: Duration::from_secs(wanted.duplicate_window_secs),
                max_bytes: if wanted.max_bytes == 0 { -1 } else { wanted.max_bytes },
                ..Default::default()
            };
            js.create_stream(config).await.map_err(|e| refused(&e))?;
            info!(stream = name, subjects = ?wanted.subjects, "Created JetStream stream.");
        }
        Err(e) => {
            let code = match e.kind() {
                GetStreamErrorKind::JetStream(api) => Some(api.error_code()),
                _ => None,
            };
            return Err(stream_error(name, &e, code));
        }
    }
    Ok(())
}

/// A refusal of our credentials is permanent; anything else (down, DNS, TLS handshake cut
/// short by a restarting server) is waited out.
fn connect_error(url: &str, error: &async_nats::ConnectError) -> SinkError {
    use async_nats::ConnectErrorKind::{Authentication, AuthorizationViolation};
    let text = format!("NATS at {url}: {error}");
    match error.kind() {
        Authentication | AuthorizationViolation => SinkError::Refused(text),
        _ => SinkError::Connect(text),
    }
}

/// The server's refusal of the stream's settings is permanent; anything else (a timeout, a
/// cluster that is recovering, resources that may free up) is waited out.
fn stream_error(name: &str, error: &dyn std::fmt::Display, code: Option<ErrorCode>) -> SinkError {
    let text = format!("stream {name}: {error}");
    let refused = [
        ErrorCode::STREAM_SUBJECT_OVERLAP,
        ErrorCode::STREAM_NAME_EXIST,
        ErrorCode::STREAM_INVALID_CONFIG,
        ErrorCode::STREAM_NAME_CONTAINS_PATH_SEPARATORS,
        ErrorCode::STREAM_MAX_BYTES_REQUIRED,
        ErrorCode::STREAM_REPLICAS_NOT_SUPPORTED,
        ErrorCode::STREAM_REPLICAS_NOT_UPDATABLE,
        ErrorCode::JETSTREAM_NOT_ENABLED,
        ErrorCode::JETSTREAM_NOT_ENABLED_FOR_ACCOUNT,
    ];
    if code.is_some_and(|code| refused.contains(&code)) {
        SinkError::Stream(text)
    } else {
        SinkError::Connect(format!("JetStream {text}"))
    }
}

fn is_not_found(error: &GetStreamError) -> bool {
    match error.kind() {
        GetStreamErrorKind::JetStream(e) => e.error_code() == ErrorCode::STREAM_NOT_FOUND,
        _ => false,
    }
}

impl NatsSink {
    /// Publishes `batch` on core NATS and waits for the flush. Returns the indexes of events
    /// the server can never take (larger than its max payload), already logged.
    ///
    /// After a failure the caller publishes the whole batch again: core NATS has no
    /// de-duplication, so an outage can deliver some events twice (at least once).
    pub async fn commit_core(&self, batch: &[Event]) -> Result<Vec<usize>, Failure> {
        let mut rejected = Vec::new();
        for (index, event) in batch.iter().enumerate() {
            let subject = route::subject(&self.template, event);
            let payload = Bytes::from(event.to_json());
            match self.client.publish_with_headers(subject, route::headers(event), payload).await {
                Ok(()) => {}
                Err(e) if e.kind() == PublishErrorKind::MaxPayloadExceeded => {
                    error!(id = %event.id, error = %e, "Event too large for NATS; dropped.");
                    rejected.push(index);
                }
                Err(e) => return Err(Failure::new("publish", &e)),
            }
        }
        match tokio::time::timeout(self.ack_timeout, self.client.flush()).await {
            Ok(Ok(())) => Ok(rejected),
            Ok(Err(e)) => Err(Failure::new("flush", &e)),
            Err(_) => Err(Failure::new("flush_timeout", &"no flush within the ack timeout")),
        }
    }
}

#[cfg(test)]
mod shown_tests {
    use crate::config::shown_urls as shown;

    #[test]
    fn credentials_in_server_urls_are_redacted() {
        assert_eq!(shown("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
        assert_eq!(
            shown("nats://u:s3cret@a:4222, tls://tok@b:4222,c:4222"),
            "nats://<redacted>@a:4222,tls://<redacted>@b:4222,c:4222"
        );
        assert_eq!(shown("u:p@host:4222"), "<redacted>@host:4222");
    }
}
