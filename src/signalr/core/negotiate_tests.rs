//! The redirect loop against a scripted negotiate endpoint on loopback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::*;
use crate::config::Secret;

/// What the endpoint does with hop `n` (from the `hop` query parameter, 0 when absent).
#[derive(Clone, Copy)]
enum Script {
    /// Redirects to `hop=n+1` with token `t<n+1>` until `hop` reaches the count.
    Chain(u32),
    /// Always redirects to the same URL.
    Loop,
    /// Always answers with an `error`.
    Error,
}

/// (query, Authorization header) of every request, in order.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

async fn serve(script: Script) -> (Url, Seen) {
    let seen: Seen = Arc::default();
    let state = (script, seen.clone());
    let app = Router::new().route("/hub/negotiate", post(answer)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (Url::parse(&format!("http://{addr}/hub?tenant=a")).unwrap(), seen)
}

async fn answer(
    State((script, seen)): State<(Script, Seen)>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_string());
    let mut pairs: Vec<_> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    seen.lock().unwrap().push((pairs.join("&"), auth.unwrap_or_default()));
    let hop: u32 = query.get("hop").and_then(|h| h.parse().ok()).unwrap_or(0);
    Json(match script {
        Script::Chain(n) if hop < n => {
            json!({"url": format!("/hub?hop={}", hop + 1), "accessToken": format!("t{}", hop + 1)})
        }
        Script::Chain(_) => json!({"connectionId": "c", "connectionToken": "k",
            "negotiateVersion": 1, "availableTransports": [{"transport": "WebSockets"}]}),
        Script::Loop => json!({"url": "/hub?hop=1"}),
        Script::Error => json!({"error": "Hub is full."}),
    })
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn a_chain_is_followed_with_each_hops_token_and_the_query_kept() {
    let (hub, seen) = serve(Script::Chain(3)).await;
    let route = negotiate(&client(), &hub, Some("app"), false).await.unwrap();
    assert_eq!(route.hops, 3);
    assert_eq!(route.negotiated.connection_token, "k");
    assert_eq!(route.url.query(), Some("hop=3&tenant=a"));
    assert_eq!(route.access_token.as_ref().map(Secret::expose), Some("t3"));
    let seen = seen.lock().unwrap().clone();
    let expected: Vec<(String, String)> = [
        ("negotiateVersion=1&tenant=a", "Bearer app"),
        ("hop=1&negotiateVersion=1&tenant=a", "Bearer t1"),
        ("hop=2&negotiateVersion=1&tenant=a", "Bearer t2"),
        ("hop=3&negotiateVersion=1&tenant=a", "Bearer t3"),
    ]
    .iter()
    .map(|(q, a)| (q.to_string(), a.to_string()))
    .collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn a_loop_is_refused_when_a_hop_repeats() {
    let (hub, seen) = serve(Script::Loop).await;
    let error = negotiate(&client(), &hub, None, false).await.unwrap_err();
    assert!(matches!(error, NegotiateError::RedirectLoop(_)), "{error}");
    assert!(error.to_string().contains("/hub"), "{error}");
    // hop=1 is asked once, then its answer points at hop=1 again.
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_hundred_negotiates_are_the_limit() {
    let (hub, seen) = serve(Script::Chain(1000)).await;
    let error = negotiate(&client(), &hub, None, false).await.unwrap_err();
    assert!(matches!(error, NegotiateError::TooManyRedirects(100)), "{error}");
    assert_eq!(seen.lock().unwrap().len(), 100);
    // 99 redirects: the 100th request gets the connection.
    let (hub, _) = serve(Script::Chain(99)).await;
    assert_eq!(negotiate(&client(), &hub, None, false).await.unwrap().hops, 99);
    let (hub, _) = serve(Script::Chain(100)).await;
    assert!(negotiate(&client(), &hub, None, false).await.is_err());
}

#[tokio::test]
async fn an_error_answer_is_a_refusal_with_the_servers_text() {
    let (hub, _) = serve(Script::Error).await;
    let error = negotiate(&client(), &hub, None, false).await.unwrap_err();
    let expected = format!(
        "the hub at http://{}/hub refused the connection: Hub is full.",
        hub.host_str().unwrap().to_owned() + ":" + &hub.port().unwrap().to_string()
    );
    assert_eq!(error.to_string(), expected);
}
