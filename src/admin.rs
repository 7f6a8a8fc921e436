//! The admin HTTP server: `/livez`, `/readyz`, `/metrics`, `/status`, read-only views of
//! [`AppStatus`] and [`Metrics`]; and, when enabled, the token-guarded `/subscriptions` API
//! ([`api`]), the one place that changes what a running hub listens to.

pub mod api;
pub mod bearer;
pub mod check;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::status::{AppStatus, HubView, SinkView};
use crate::telemetry::Metrics;

#[derive(Clone)]
struct AdminState {
    status: Arc<AppStatus>,
    metrics: Arc<Metrics>,
}

/// Binds the admin server and serves it until `stop`. Returns the bound address.
pub async fn serve(
    listen: SocketAddr,
    status: Arc<AppStatus>,
    metrics: Arc<Metrics>,
    api: Option<api::Api>,
    stop: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let mut router = Router::new()
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/status", get(status_json))
        .with_state(AdminState { status, metrics });
    if let Some(api) = api {
        router = router.merge(api::routes(Arc::new(api)));
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).with_graceful_shutdown(stop.cancelled_owned()).await;
    });
    Ok((addr, task))
}

async fn readyz(State(s): State<AdminState>) -> Response {
    match s.status.not_ready() {
        None => (StatusCode::OK, "ready\n").into_response(),
        Some(why) => {
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}\n")).into_response()
        }
    }
}

async fn metrics_text(State(s): State<AdminState>) -> Response {
    s.metrics.link.set_connected(s.status.sink_connected());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render()).into_response()
}

#[derive(Serialize)]
struct StatusBody {
    ready: bool,
    sink_connected: bool,
    /// The broker connection: never connected, connected or lost, with the last error.
    sink: SinkView,
    /// Why `/readyz` answers 503 (absent when ready).
    #[serde(skip_serializing_if = "Option::is_none")]
    not_ready: Option<String>,
    hubs: Vec<HubView>,
    /// Long operations and how far they got (the last of each name, running or ended).
    operations: Vec<crate::progress::OperationView>,
}

async fn status_json(State(s): State<AdminState>) -> Json<StatusBody> {
    Json(StatusBody {
        ready: s.status.ready(),
        sink_connected: s.status.sink_connected(),
        sink: s.status.sink(),
        not_ready: s.status.not_ready(),
        hubs: s.status.hubs.iter().map(|h| h.snapshot()).collect(),
        operations: s.status.progress.views(),
    })
}
