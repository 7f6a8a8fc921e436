//! Negotiate redirects end to end: the bridge follows a chain of redirects back to the simulator
//! (with the redirect's access token), and refuses a loop, retrying with backoff.

use signalr_sim::{Redirect, Simulator};

use super::*;

/// A generic hub that negotiates (no `skip_negotiation`), with a static bearer token.
fn negotiating_hub(sim: &Simulator, token: &str) -> String {
    format!(
        "  - name: redir
    url: {url}?tenant=a
    subscriptions:
      - {{ method: SubscribeToEventV2, arguments: [42] }}
    auth: {{ bearer_token: {token} }}
    handshake_timeout_secs: 5
    reconnect: {{ initial_delay_ms: 200, max_delay_ms: 500 }}
",
        url = sim.hub_url()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_chain_is_followed_and_events_flow() {
    let log = captured_log();
    let sim = simulator(50, Some("app-token")).await;
    sim.control().set_redirect(Redirect::Chain { hops: 3, access_token: Some("svc-token".into()) });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let yaml = format!("hubs:\n{}{}", negotiating_hub(&sim, "app-token"), file_sink(&out, ""));
    let app = start(config(&yaml)).await;
    eventually(WAIT, "events through the redirected connection", || {
        counter(&app, "events_published_total", &[]) >= 10
    })
    .await;
    // The app token on the first negotiate only; the redirect's token on the three redirected
    // negotiates and on the WebSocket upgrade.
    let presented = sim.control().tokens_presented();
    assert_eq!(presented[..5], ["app-token", "svc-token", "svc-token", "svc-token", "svc-token"]);
    assert_eq!(app.status.hubs[0].snapshot().connects, 1);
    let report = app.shutdown().await;
    assert_eq!(report.undelivered, 0);
    assert!(lines(&out).iter().any(|e| e["type"] == "io.signalr_bridge.hub.invocation.v1"));
    assert_not_logged(&log, &["app-token".into(), "svc-token".into()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_is_refused_clearly_and_retried_with_backoff() {
    let sim = simulator(20, None).await;
    sim.control().set_redirect(Redirect::Loop);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let yaml = format!("hubs:\n{}{}", negotiating_hub(&sim, "t"), file_sink(&out, ""));
    let app = start(config(&yaml)).await;
    eventually(WAIT, "two refused attempts", || {
        counter(&app, "reconnects_total", &[("reason", "negotiate")]) >= 2
    })
    .await;
    let error = app.status.hubs[0].snapshot().last_error.unwrap_or_default();
    assert!(error.contains("negotiate redirects loop"), "{error}");
    assert!(error.contains("/status/event-status"), "{error}");
    assert!(!app.status.ready());
    assert_eq!(sim.control().connection_count(), 0);

    sim.control().set_redirect(Redirect::Off);
    eventually(WAIT, "connected once the loop is gone", || app.status.ready()).await;
    assert_eq!(app.shutdown().await.undelivered, 0);
}
