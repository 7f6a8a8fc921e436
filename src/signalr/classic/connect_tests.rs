//! Opening a classic connection: the 405 hint, and OAuth2 bearer tokens with one retry after a
//! 401, against a scripted negotiate endpoint and the Core simulator's token endpoint.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use signalr_sim::{OAuthClient, Simulator, SimulatorConfig};
use tokio_util::sync::CancellationToken;

use super::*;
use crate::status::HubStatus;
use crate::telemetry::Metrics;

#[test]
fn a_405_on_negotiate_names_the_core_dialect() {
    let e = core_server_hint(SessionError::Connect(ConnectError::Status(405)));
    assert!(e.to_string().contains("dialect: core"), "{e}");
    let e = core_server_hint(SessionError::Connect(ConnectError::Status(500)));
    assert!(matches!(e, SessionError::Connect(ConnectError::Status(500))));
}

const NEGOTIATED: &str = r#"{"Url":"/hpc/signalr","ConnectionToken":"tok","ConnectionId":"id",
    "KeepAliveTimeout":20.0,"DisconnectTimeout":30.0,"TryWebSockets":true,
    "ProtocolVersion":"1.5","TransportConnectTimeout":1.0}"#;

/// A classic negotiate that refuses its first request (401) and records every Authorization.
async fn stub() -> (url::Url, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    let negotiate = move |headers: HeaderMap| {
        let record = record.clone();
        async move {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
            let mut seen = record.lock().unwrap();
            seen.push(auth.unwrap_or_default().to_string());
            if seen.len() == 1 {
                return StatusCode::UNAUTHORIZED.into_response();
            }
            NEGOTIATED.into_response()
        }
    };
    let app = Router::new().route("/hpc/signalr/negotiate", get(negotiate));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url::Url::parse(&format!("http://{addr}/hpc")).unwrap(), seen)
}

#[tokio::test]
async fn oauth2_tokens_are_sent_as_bearer_and_a_401_gets_one_new_token() {
    let sim = Simulator::start(SimulatorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        rate_per_sec: 0,
        ..SimulatorConfig::default()
    })
    .await
    .unwrap();
    sim.control().set_oauth_client(Some(OAuthClient {
        client_id: "hpc".into(),
        client_secret: "pw".into(),
        ttl: Duration::from_secs(300),
    }));
    let (url, seen) = stub().await;
    let config: crate::config::HubConfig = serde_json::from_value(serde_json::json!({
        "name": "hpc", "url": url.as_str(), "dialect": "classic", "profile": "hpc_pack",
        "hpc_pack": {"job_ids": [1]}, "handshake_timeout_secs": 2,
        "auth": {"oauth2": {"token_url": sim.control().token_url().as_str(),
                            "client_id": "hpc", "client_secret": "pw"}},
    }))
    .unwrap();
    let (tx, _rx) = crate::queue::channel(1, None);
    let status = Arc::new(HubStatus::new("hpc".into()));
    let metrics = Arc::new(Metrics::new());
    let hub = Hub::new(
        config,
        tx,
        metrics.clone(),
        status,
        CancellationToken::new(),
        &Default::default(),
    )
    .unwrap();

    // Negotiate is refused, retried with a new token and accepted; the stub has no `connect`.
    let error = open(&hub).await.err().expect("the stub cannot upgrade");
    assert!(matches!(error, SessionError::Connect(ConnectError::Status(_))), "{error}");
    let seen = seen.lock().unwrap().clone();
    let issued = sim.control().tokens_issued();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_ne!(seen[0], seen[1]);
    for (auth, token) in seen.iter().zip(&issued) {
        assert_eq!(auth, &format!("Bearer {token}"));
    }
    assert_eq!(metrics.counter_value("token_requests_total", &[("outcome", "ok")]), 2);
}
