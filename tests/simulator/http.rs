//! Negotiate, token lifecycle, bearer checks, the REST snapshot and the `/_sim` routes.

use std::time::Duration;

use serde_json::{json, Value};
use signalr_sim::SimOptions;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::support::*;

async fn negotiate(sim: &signalr_sim::Simulator, query: &str) -> reqwest::Response {
    let url = format!("{}/negotiate{query}", sim.hub_url());
    reqwest::Client::new().post(url).send().await.unwrap()
}

async fn upgrade_status(url: &str) -> u16 {
    match tokio_tungstenite::connect_async(url).await {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Ok((_, response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected upgrade error {other}"),
    }
}

#[tokio::test]
async fn negotiate_v1_returns_token_id_and_websockets_only() {
    let sim = start(SimOptions::default()).await;
    let body: Value = negotiate(&sim, "?negotiateVersion=1").await.json().await.unwrap();
    assert_eq!(body["negotiateVersion"], 1);
    assert!(body["connectionToken"].is_string() && body["connectionId"].is_string());
    assert_ne!(body["connectionToken"], body["connectionId"]);
    assert_eq!(
        body["availableTransports"],
        json!([{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}])
    );
    // A client asking for a newer version than the server speaks gets 1.
    let newer: Value = negotiate(&sim, "?negotiateVersion=7").await.json().await.unwrap();
    assert_eq!(newer["negotiateVersion"], 1);
}

#[tokio::test]
async fn negotiate_without_version_returns_v0_shape_usable_as_id() {
    let sim = start(SimOptions::default()).await;
    let body: Value = negotiate(&sim, "").await.json().await.unwrap();
    assert!(body.get("connectionToken").is_none() && body.get("negotiateVersion").is_none());
    let id = body["connectionId"].as_str().unwrap();
    let mut socket = connect(&sim, &format!("id={id}")).await;
    send(&mut socket, "{\"protocol\":\"json\",\"version\":1}\u{1e}").await;
    assert_eq!(next_text(&mut socket).await, "{}\u{1e}");
}

#[tokio::test]
async fn negotiated_token_connects_once_then_conflicts_then_is_gone() {
    let sim = start(SimOptions::default()).await;
    let body: Value = negotiate(&sim, "?negotiateVersion=1").await.json().await.unwrap();
    let query = format!("id={}", body["connectionToken"].as_str().unwrap());
    let mut socket = connect(&sim, &query).await;
    assert_eq!(upgrade_status(&ws_url(&sim, &query)).await, 409);
    send(&mut socket, "{\"protocol\":\"json\",\"version\":1}\u{1e}").await;
    assert_eq!(next_text(&mut socket).await, "{}\u{1e}");
    sim.control().wait_for_connections(1).await;
    send(&mut socket, "{\"type\":7}\u{1e}").await;
    sim.control().wait_for_connections(0).await;
    assert_eq!(upgrade_status(&ws_url(&sim, &query)).await, 404);
}

#[tokio::test]
async fn unknown_and_expired_tokens_are_not_found() {
    let options = SimOptions { negotiate_token_ttl: Duration::ZERO, ..SimOptions::default() };
    let sim = start(options).await;
    assert_eq!(upgrade_status(&ws_url(&sim, "id=nope")).await, 404);
    let body: Value = negotiate(&sim, "?negotiateVersion=1").await.json().await.unwrap();
    let query = format!("id={}", body["connectionToken"].as_str().unwrap());
    assert_eq!(upgrade_status(&ws_url(&sim, &query)).await, 404);
}

#[tokio::test]
async fn bearer_token_is_required_on_negotiate_upgrade_and_snapshot() {
    let sim = start(SimOptions::default()).await;
    sim.control().set_required_token(Some("tok".into()));
    assert_eq!(negotiate(&sim, "?negotiateVersion=1").await.status(), 401);
    let authed = reqwest::Client::new()
        .post(format!("{}/negotiate?negotiateVersion=1", sim.hub_url()))
        .bearer_auth("tok")
        .send()
        .await
        .unwrap();
    assert_eq!(authed.status(), 200);
    assert_eq!(upgrade_status(&ws_url(&sim, "")).await, 401);
    assert_eq!(upgrade_status(&ws_url(&sim, "access_token=wrong")).await, 401);
    assert_eq!(upgrade_status(&ws_url(&sim, "access_token=tok")).await, 101);
    let mut request = ws_url(&sim, "").into_client_request().unwrap();
    request.headers_mut().insert("Authorization", "Bearer tok".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok());
    let snapshot = reqwest::get(sim.snapshot_url()).await.unwrap();
    assert_eq!(snapshot.status(), 401);
    sim.control().set_required_token(None);
    assert_eq!(upgrade_status(&ws_url(&sim, "")).await, 101);
}

#[tokio::test]
async fn snapshot_of_unknown_event_is_not_found_and_bad_id_is_rejected() {
    let sim = start(SimOptions::default()).await;
    let mut url = sim.snapshot_url();
    url.set_query(Some("eventId=43"));
    assert_eq!(reqwest::get(url.clone()).await.unwrap().status(), 404);
    url.set_query(Some("eventId=abc"));
    assert_eq!(reqwest::get(url).await.unwrap().status(), 400);
    assert!(sim
        .snapshot_url()
        .as_str()
        .ends_with("/status/v2/Events/GetCurrentSessionStateJson?eventId=42"));
}

#[tokio::test]
async fn sim_http_routes_report_and_steer() {
    let sim = start(SimOptions::default()).await;
    let base = format!("http://{}/_sim", sim.addr);
    let mut socket = connect_ready(&sim).await;
    subscribe(&mut socket).await;
    let count: usize =
        reqwest::get(format!("{base}/connections")).await.unwrap().json().await.unwrap();
    assert_eq!(count, 1);
    let log: Vec<(String, String)> =
        reqwest::get(format!("{base}/invocations")).await.unwrap().json().await.unwrap();
    assert_eq!(log, vec![("SubscribeToEventV2".to_string(), "[42]".to_string())]);
    let client = reqwest::Client::new();
    client.post(format!("{base}/inject")).body("hello").send().await.unwrap();
    assert_eq!(next_text(&mut socket).await, "hello");
    client.post(format!("{base}/close?allow_reconnect=true")).send().await.unwrap();
    assert_eq!(next_text(&mut socket).await, "{\"type\":7,\"allowReconnect\":true}\u{1e}");
    sim.control().wait_for_connections(0).await;
}
