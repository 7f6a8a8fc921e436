//! OAuth2 client credentials end to end against the simulator's token endpoint: a new token
//! for every connect, one retry with a new token after a 401, and a wrong secret that is a clear
//! error which never shows the secret (not in status, not in the log).

use signalr_sim::{OAuthClient, Simulator};

use super::*;

/// A simulator whose token endpoint accepts `bridge` / `right-secret`, tokens living `ttl_secs`.
async fn oauth_simulator(ttl_secs: u64) -> Simulator {
    let sim = simulator(20, None).await;
    sim.control().set_oauth_client(Some(OAuthClient {
        client_id: "bridge".into(),
        client_secret: "right-secret".into(),
        ttl: Duration::from_secs(ttl_secs),
    }));
    sim
}

/// The RedMist hub with OAuth2, its secret in `dir/secret`.
async fn bridge(sim: &Simulator, dir: &std::path::Path, secret: &str) -> signalr_bridge::app::App {
    let file = dir.join("secret");
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    let auth = format!(
        "    auth:\n      oauth2:\n        token_url: {}\n        client_id: bridge\n        client_secret_file: '{}'\n",
        sim.control().token_url(),
        file.display()
    );
    bridge_to_file(sim, dir, &auth, "").await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_expired_mid_run_is_replaced_on_the_next_connect() {
    let log = captured_log();
    let sim = oauth_simulator(2).await;
    let dir = tempfile::tempdir().unwrap();
    let app = bridge(&sim, dir.path(), "right-secret").await;
    eventually(WAIT, "ready", || app.status.ready()).await;
    let first = sim.control().tokens_presented()[0].clone();

    // Let the first token expire while the connection lives on.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let refused =
        reqwest::Client::new().get(sim.snapshot_url()).bearer_auth(&first).send().await.unwrap();
    assert_eq!(refused.status(), 401, "the first token has expired");
    assert_eq!(app.status.hubs[0].snapshot().connects, 1, "the open connection was kept");

    let presented_before = sim.control().tokens_presented().len();
    sim.control().drop_connections();
    eventually(WAIT, "connected again", || app.status.hubs[0].snapshot().connects == 2).await;
    let upgrade_token = sim.control().tokens_presented()[presented_before].clone();
    assert_ne!(upgrade_token, first, "the reconnect presented a new token");
    let issued = sim.control().tokens_issued();
    assert!(issued.contains(&upgrade_token), "the new token came from the token endpoint");
    assert_eq!(counter(&app, "reconnects_total", &[("reason", "auth")]), 0, "never refused");
    assert!(counter(&app, "token_requests_total", &[("outcome", "ok")]) >= 2);
    assert_eq!(app.shutdown().await.undelivered, 0);
    assert_not_logged(&log, &issued);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_replaced_once_before_backing_off() {
    let sim = oauth_simulator(300).await;
    let dir = tempfile::tempdir().unwrap();
    // A generic hub that negotiates and fetches no snapshots: only connects present tokens.
    let hub = format!(
        "  - name: gen
    url: {}
    subscriptions: [{{ method: SubscribeToEventV2, arguments: [42] }}]
    auth: {{ oauth2: {{ token_url: '{}', client_id: bridge, client_secret: right-secret }} }}
    reconnect: {{ initial_delay_ms: 200, max_delay_ms: 500 }}
",
        sim.hub_url(),
        sim.control().token_url()
    );
    let out = dir.path().join("events.jsonl");
    let app = start(config(&format!("hubs:\n{hub}{}", file_sink(&out, "")))).await;
    eventually(WAIT, "ready", || app.status.ready()).await;

    // One 401 on negotiate: the bridge fetches a new token and goes on at once.
    let before = sim.control().tokens_presented().len();
    sim.control().refuse_next_requests(1);
    sim.control().drop_connections();
    eventually(WAIT, "connected again", || app.status.hubs[0].snapshot().connects == 2).await;
    let presented = sim.control().tokens_presented()[before..].to_vec();
    assert_eq!(presented.len(), 3, "refused negotiate, negotiate, upgrade: {presented:?}");
    assert_ne!(presented[0], presented[1], "the retry used a new token");
    assert_eq!(presented[1], presented[2]);
    assert_eq!(counter(&app, "reconnects_total", &[("reason", "auth")]), 0, "no backoff round");

    // Two 401s in a row: the retry is refused too, so the hub backs off, then connects.
    sim.control().refuse_next_requests(2);
    sim.control().drop_connections();
    eventually(WAIT, "connected a third time", || app.status.hubs[0].snapshot().connects == 3)
        .await;
    assert_eq!(counter(&app, "reconnects_total", &[("reason", "auth")]), 1);
    assert_eq!(app.shutdown().await.undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_is_a_clear_error_that_never_shows_the_secret() {
    let log = captured_log();
    let sim = oauth_simulator(300).await;
    let dir = tempfile::tempdir().unwrap();
    let app = bridge(&sim, dir.path(), "wrong-secret-7f3a").await;
    eventually(WAIT, "two refused attempts", || {
        counter(&app, "reconnects_total", &[("reason", "auth")]) >= 2
    })
    .await;
    assert!(counter(&app, "token_requests_total", &[("outcome", "refused")]) >= 2);
    assert!(sim.control().tokens_issued().is_empty());
    let error = app.status.hubs[0].snapshot().last_error.unwrap_or_default();
    assert!(error.contains("refused the client credentials"), "{error}");
    assert!(error.contains("invalid_client"), "{error}");
    let admin = format!("http://{}/status", app.admin_addr.unwrap());
    let status = reqwest::get(admin).await.unwrap().text().await.unwrap();
    app.shutdown().await;

    let log = String::from_utf8_lossy(&log.lock().unwrap()).to_string();
    assert!(log.contains("refused the client credentials"), "the error was logged");
    for text in [&error, &status, &log] {
        assert!(!text.contains("wrong-secret-7f3a"), "secret leaked: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_client_secret_file_is_not_a_refusal() {
    let sim = oauth_simulator(300).await;
    let dir = tempfile::tempdir().unwrap();
    let auth = format!(
        "    auth:\n      oauth2:\n        token_url: {}\n        client_id: bridge\n        client_secret_file: '{}'\n",
        sim.control().token_url(),
        dir.path().join("missing").display()
    );
    let (app, _) = bridge_to_file(&sim, dir.path(), &auth, "").await;
    let unreadable = [("reason", "credentials_file")];
    eventually(WAIT, "failed attempts", || counter(&app, "reconnects_total", &unreadable) >= 1)
        .await;
    assert_eq!(counter(&app, "reconnects_total", &[("reason", "auth")]), 0, "not a refusal");
    let error = app.status.hubs[0].snapshot().last_error.unwrap_or_default();
    assert!(error.contains("client secret"), "{error}");
    assert_eq!(app.shutdown().await.undelivered, 0);
}
