//! The reachability watch that ends a backoff early when a hub that was down accepts
//! connections again. The schedule itself is [`signalr_proto::backoff`].

use std::time::Duration;

/// How often a hub that refused TCP connections is tried again while the bridge backs off.
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// How long one reachability probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether the hub's host accepts a TCP connection on its port now.
pub async fn reachable(url: &url::Url) -> bool {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return true; // nothing to probe: back off as configured
    };
    let connect = tokio::net::TcpStream::connect((host, port));
    matches!(tokio::time::timeout(PROBE_TIMEOUT, connect).await, Ok(Ok(_)))
}

/// How long after a drop a hub that still accepts TCP is watched for going down: a server
/// shutting down closes its listener a moment after it drops its connections.
const GOING_DOWN_WATCH: Duration = Duration::from_secs(2);

/// Returns once a hub that was down accepts TCP connections again, so it is reconnected (and
/// re-subscribed) within a moment of coming back instead of after the rest of a long backoff.
/// A hub still accepting connections is watched for [`GOING_DOWN_WATCH`] in case it is on its
/// way down; one that stays up never ends this wait (it answers but fails, so the configured
/// backoff applies and it is not hammered). Only a cheap connect is repeated, never a
/// negotiate.
pub async fn until_back(url: &url::Url) {
    let watch_until = tokio::time::Instant::now() + GOING_DOWN_WATCH;
    while reachable(url).await {
        if tokio::time::Instant::now() >= watch_until {
            return std::future::pending().await;
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
    while !reachable(url).await {
        tokio::time::sleep(PROBE_EVERY).await;
    }
}
