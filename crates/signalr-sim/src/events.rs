//! RedMist's public live events listing, `GET /status/v2/Events/LoadLiveEvents` (anonymous, as
//! the real status API serves it): a JSON list of `EventListSummary` objects with their short
//! property names. By default it lists the one event the simulator runs; tests replace it to
//! make events appear and end.

use std::sync::Arc;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;

use super::state::{lock, Shared};

/// The listing's path (the status API's v2 `Events` controller under the `/status` path base).
pub const LIVE_EVENTS_PATH: &str = "/status/v2/Events/LoadLiveEvents";

/// One `EventListSummary` as the status API writes it in JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveEvent {
    #[serde(rename = "eid")]
    pub id: i64,
    #[serde(rename = "oid")]
    pub organization_id: i64,
    #[serde(rename = "on")]
    pub organization_name: String,
    #[serde(rename = "en")]
    pub name: String,
    /// `yyyy-MM-dd`.
    #[serde(rename = "ed")]
    pub date: String,
    #[serde(rename = "l")]
    pub is_live: bool,
    #[serde(rename = "t")]
    pub track: String,
    /// The event schedule; the simulator has none.
    #[serde(rename = "s")]
    pub schedule: Option<serde_json::Value>,
}

impl LiveEvent {
    /// A live event of organization 1 at a made-up track.
    pub fn new(id: i64, name: &str) -> LiveEvent {
        LiveEvent {
            id,
            organization_id: 1,
            organization_name: "Simulated Racing Club".into(),
            name: name.into(),
            date: "2026-05-01".into(),
            is_live: true,
            track: "Simulated Raceway".into(),
            schedule: None,
        }
    }
}

pub async fn live_events(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let listed = match lock(&shared.live_events).clone() {
        Some(events) => events,
        None => vec![LiveEvent::new(shared.config.event_id, "Simulated race")],
    };
    Json(listed)
}
