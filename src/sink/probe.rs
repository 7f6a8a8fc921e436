//! Checks against a live broker that `check-config` can make without publishing anything: today,
//! whether an existing JetStream stream's duplicate window covers what the config needs.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;

use super::link::Link;
use super::nats::options;
use crate::config::{NatsMode, NatsSinkConfig};

/// How long `check-config` waits for NATS before it says it could not look.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The warning for a stream whose window is shorter than wanted, if it is.
pub fn window_warning(stream: &str, have: Duration, wanted: Duration) -> Option<String> {
    (have < wanted).then(|| {
        format!(
            "stream {stream} removes duplicates only within {}s, but re-sent events can come up \
             to {}s later (queue.spool.max_outage_secs); they would be stored twice. Widen it \
             (nats stream edit {stream} --dupe-window {}s) or shorten max_outage_secs.",
            have.as_secs(),
            wanted.as_secs(),
            wanted.as_secs()
        )
    })
}

/// For a JetStream sink with a stream: a warning about the live stream, or a note that it could
/// not be checked. `None` when there is nothing to say.
pub async fn stream_window(config: &NatsSinkConfig) -> Option<String> {
    let stream = config.stream.as_ref().filter(|_| config.mode == NatsMode::Jetstream)?;
    let unreachable = |why: String| Some(format!("could not check stream {}: {why}", stream.name));
    let options = match options(config, Arc::new(Link::default())).await {
        Ok(options) => options,
        Err(e) => return unreachable(e.to_string()),
    };
    let servers: Vec<&str> = config.url.split(',').map(str::trim).collect();
    let client = match tokio::time::timeout(PROBE_TIMEOUT, options.connect(servers)).await {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => return unreachable(e.to_string()),
        Err(_) => return unreachable(format!("no connection within {PROBE_TIMEOUT:?}")),
    };
    let js = jetstream::new(client);
    let found = tokio::time::timeout(PROBE_TIMEOUT, js.get_stream(&stream.name)).await;
    let Ok(Ok(mut live)) = found else {
        return None; // missing: the bridge creates it with the configured window
    };
    let have = live.info().await.ok()?.config.duplicate_window;
    window_warning(&stream.name, have, Duration::from_secs(stream.duplicate_window_secs))
}
